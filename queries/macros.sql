-- Macros every named query may use; gradprint defines them on each
-- database it opens for queries (queries.Open), so ad-hoc --sql can use
-- them too.
--
-- matches(value, wanted): the scope test of an optional parameter. An
-- empty parameter binds NULL, which means "every value".
CREATE OR REPLACE MACRO matches(value, wanted) AS wanted IS NULL OR value = wanted;
