package ingest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MultiLabel is ChestMNIST's task: 14 independent binary labels per image.
// The reader loads single-label datasets only; the registry still lists it.
const MultiLabel Task = "multi-label, binary-class"

// DefaultBaseURL is the MedMNIST+ Zenodo record every official file lives in.
const DefaultBaseURL = "https://zenodo.org/records/10519652/files"

// BaseURLEnv names the environment variable that points fetches at a
// mirror instead of DefaultBaseURL.
const BaseURLEnv = "GRADPRINT_MEDMNIST_URL"

// Sizes are the image sizes MedMNIST+ publishes.
var Sizes = []int{28, 64, 128, 224}

// Info describes one MedMNIST 2D dataset as the medmnist package's INFO
// table (medmnist/info.py, v3.0.2) does.
type Info struct {
	Flag       string
	Modality   string
	Task       Task
	Classes    []string // index = label
	Channels   int
	SplitSizes map[Split]int
	License    string
	// MD5 maps image size (28, 64, 128, 224) to the official file checksum.
	MD5 map[int]string
}

// NumClasses is len(Classes).
func (in *Info) NumClasses() int { return len(in.Classes) }

// FileName is the official file name at the given size: "<flag>.npz" for
// 28 and "<flag>_<size>.npz" otherwise.
func (in *Info) FileName(size int) string {
	if size == 28 {
		return in.Flag + ".npz"
	}
	return in.Flag + "_" + strconv.Itoa(size) + ".npz"
}

// URL is the official download address of the file at size under base
// (DefaultBaseURL unless a mirror or test server is injected).
func (in *Info) URL(base string, size int) string {
	return strings.TrimRight(base, "/") + "/" + in.FileName(size) + "?download=1"
}

// TotalImages sums the split sizes.
func (in *Info) TotalImages() int {
	return in.SplitSizes[Train] + in.SplitSizes[Val] + in.SplitSizes[Test]
}

func splits(tr, va, te int) map[Split]int { return map[Split]int{Train: tr, Val: va, Test: te} }

func md5s(s28, s64, s128, s224 string) map[int]string {
	return map[int]string{28: s28, 64: s64, 128: s128, 224: s224}
}

var organClasses = []string{"bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver", "lung-left", "lung-right", "pancreas", "spleen"}

// registry is read-only after init; Registry hands out copies so callers
// cannot mutate it.
var registry = []Info{
	{Flag: "pathmnist", Modality: "colon pathology", Task: MultiClass, Channels: 3, License: "CC BY 4.0",
		Classes:    []string{"adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle", "normal colon mucosa", "cancer-associated stroma", "colorectal adenocarcinoma epithelium"},
		SplitSizes: splits(89996, 10004, 7180),
		MD5:        md5s("a8b06965200029087d5bd730944a56c1", "55aa9c1e0525abe5a6b9d8343a507616", "ac42d08fb904d92c244187169d1fd1d9", "2c51a510bcdc9cf8ddb2af93af1eadec")},
	{Flag: "chestmnist", Modality: "chest X-ray", Task: MultiLabel, Channels: 1, License: "CC BY 4.0",
		Classes:    []string{"atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia"},
		SplitSizes: splits(78468, 11219, 22433),
		MD5:        md5s("02c8a6516a18b556561a56cbdd36c4a8", "9de6cd0b934ebb5b7426cfba5efbae16", "db107e5590b27930b62dbaf558aebee3", "45bd33e6f06c3e8cdb481c74a89152aa")},
	{Flag: "dermamnist", Modality: "dermatoscope", Task: MultiClass, Channels: 3, License: "CC BY-NC 4.0",
		Classes:    []string{"actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma", "benign keratosis-like lesions", "dermatofibroma", "melanoma", "melanocytic nevi", "vascular lesions"},
		SplitSizes: splits(7007, 1003, 2005),
		MD5:        md5s("0744692d530f8e62ec473284d019b0c7", "b70a2f5635c6199aeaa28c31d7202e1f", "2defd784463fa5243564e855ed717de1", "8974907d8e169bef5f5b96bc506ae45d")},
	{Flag: "octmnist", Modality: "retinal OCT", Task: MultiClass, Channels: 1, License: "CC BY 4.0",
		Classes:    []string{"choroidal neovascularization", "diabetic macular edema", "drusen", "normal"},
		SplitSizes: splits(97477, 10832, 1000),
		MD5:        md5s("c68d92d5b585d8d81f7112f81e2d0842", "e229e9440236b774d9f0dfef9d07bdaf", "0a97e76651ace45c5d943ee3f65b63ae", "abc493b6d529d5de7569faaef2773ba3")},
	{Flag: "pneumoniamnist", Modality: "chest X-ray", Task: Binary, Channels: 1, License: "CC BY 4.0",
		Classes:    []string{"normal", "pneumonia"},
		SplitSizes: splits(4708, 524, 624),
		MD5:        md5s("28209eda62fecd6e6a2d98b1501bb15f", "8f4eceb4ccffa70c672198ea285246c6", "05b46931834c231683c68f40c47b2971", "d6a3c71de1b945ea11211b03746c1fe1")},
	{Flag: "retinamnist", Modality: "fundus camera", Task: Ordinal, Channels: 3, License: "CC BY 4.0",
		Classes:    []string{"0", "1", "2", "3", "4"},
		SplitSizes: splits(1080, 120, 400),
		MD5:        md5s("bd4c0672f1bba3e3a89f0e4e876791e4", "afda852cc34dcda56f86ad2b2457dbcc", "e48e916a24454daf90583d4e6efb1a18", "eae7e3b6f3fcbda4ae613ebdcbe35348")},
	{Flag: "breastmnist", Modality: "breast ultrasound", Task: Binary, Channels: 1, License: "CC BY 4.0",
		Classes:    []string{"malignant", "normal, benign"},
		SplitSizes: splits(546, 78, 156),
		MD5:        md5s("750601b1f35ba3300ea97c75c52ff8f6", "742edef2a1fd1524b2efff4bd7ba9364", "363e4b3f8d712e9b5de15470a2aaadf1", "b56378a6eefa9fed602bb16d192d4c8b")},
	{Flag: "bloodmnist", Modality: "blood cell microscope", Task: MultiClass, Channels: 3, License: "CC BY 4.0",
		Classes:    []string{"basophil", "eosinophil", "erythroblast", "immature granulocytes(myelocytes, metamyelocytes and promyelocytes)", "lymphocyte", "monocyte", "neutrophil", "platelet"},
		SplitSizes: splits(11959, 1712, 3421),
		MD5:        md5s("7053d0359d879ad8a5505303e11de1dc", "2b94928a2ae4916078ca51e05b6b800b", "adace1e0ed228fccda1f39692059dd4c", "b718ff6835fcbdb22ba9eacccd7b2601")},
	{Flag: "tissuemnist", Modality: "kidney cortex microscope", Task: MultiClass, Channels: 1, License: "CC BY 4.0",
		Classes:    []string{"Collecting Duct, Connecting Tubule", "Distal Convoluted Tubule", "Glomerular endothelial cells", "Interstitial endothelial cells", "Leukocytes", "Podocytes", "Proximal Tubule Segments", "Thick Ascending Limb"},
		SplitSizes: splits(165466, 23640, 47280),
		MD5:        md5s("ebe78ee8b05294063de985d821c1c34b", "123ece2eba09d0aa5d698fda57103344", "61b955355d7425a89687b06cca3ce0c2", "b077128c4a949f0a4eb01517f9037b9c")},
	{Flag: "organamnist", Modality: "abdominal CT (axial)", Task: MultiClass, Channels: 1, License: "CC BY 4.0",
		Classes:    organClasses,
		SplitSizes: splits(34561, 6491, 17778),
		MD5:        md5s("68e3f8846a6bd62f0c9bf841c0d9eacc", "2dcccc29b88e6da5a01161ef20cda288", "eeae80d0a227a8d099027e1b3cfd3b60", "50747347e05c87dd3aaf92c49f9f3170")},
	{Flag: "organcmnist", Modality: "abdominal CT (coronal)", Task: MultiClass, Channels: 1, License: "CC BY 4.0",
		Classes:    organClasses,
		SplitSizes: splits(12975, 2392, 8216),
		MD5:        md5s("b9ceb9546e10131b32923c5bbeaea2b1", "3ce34a8724ea6f548e6db4744d03b6a9", "773c1f009daa3fe5d9a2a201b2a7ed94", "050f5e875dc056f6768abf94ec9995d1")},
	{Flag: "organsmnist", Modality: "abdominal CT (sagittal)", Task: MultiClass, Channels: 1, License: "CC BY 4.0",
		Classes:    organClasses,
		SplitSizes: splits(13932, 2452, 8827),
		MD5:        md5s("9ab87b696fb54e2a387ebe992d6ed5f1", "53a6d115339d874c25e309a994ff46d3", "ded0c5fa01a95dc4978b956f613e9b8e", "b354719e553fbbb2513d5533f52a4cb1")},
}

// clone returns a deep copy so callers may modify what they get.
func (in Info) clone() *Info {
	c := in
	c.Classes = slices.Clone(in.Classes)
	c.SplitSizes = map[Split]int{}
	for k, v := range in.SplitSizes {
		c.SplitSizes[k] = v
	}
	c.MD5 = map[int]string{}
	for k, v := range in.MD5 {
		c.MD5[k] = v
	}
	return &c
}

// Registry returns the MedMNIST 2D datasets in the medmnist package's order.
func Registry() []*Info {
	out := make([]*Info, len(registry))
	for i := range registry {
		out[i] = registry[i].clone()
	}
	return out
}

// Lookup returns the registry entry for flag (case-insensitive).
func Lookup(flag string) (*Info, error) {
	f := strings.ToLower(strings.TrimSpace(flag))
	for i := range registry {
		if registry[i].Flag == f {
			return registry[i].clone(), nil
		}
	}
	flags := make([]string, len(registry))
	for i := range registry {
		flags[i] = registry[i].Flag
	}
	return nil, fmt.Errorf("unknown MedMNIST dataset %q: want one of %s", flag, strings.Join(flags, ", "))
}

// LookupMD5 finds the official file with checksum sum (lower-case hex).
func LookupMD5(sum string) (info *Info, size int, ok bool) {
	sum = strings.ToLower(sum)
	for i := range registry {
		for s, m := range registry[i].MD5 {
			if m == sum {
				return registry[i].clone(), s, true
			}
		}
	}
	return nil, 0, false
}

// LookupFileName maps an official file name ("breastmnist.npz",
// "breastmnist_64.npz") to its dataset and size. Names that merely start
// with a flag (a renamed or modified copy) do not match; see GuessFlag.
func LookupFileName(name string) (info *Info, size int, ok bool) {
	base := filepath.Base(name)
	for i := range registry {
		for _, s := range Sizes {
			if registry[i].FileName(s) == base {
				return registry[i].clone(), s, true
			}
		}
	}
	return nil, 0, false
}

// GuessFlag returns the registry entry whose flag prefixes the file's base
// name (e.g. "pneumoniamnist_trainsubset.npz" -> pneumoniamnist), for
// reporting on files that are not byte-identical to an official one.
func GuessFlag(name string) (*Info, bool) {
	base := strings.ToLower(filepath.Base(name))
	var best *Info
	for i := range registry {
		f := registry[i].Flag
		if strings.HasPrefix(base, f) && (len(base) == len(f) || base[len(f)] == '_' || base[len(f)] == '.') {
			if best == nil || len(f) > len(best.Flag) {
				best = &registry[i]
			}
		}
	}
	if best == nil {
		return nil, false
	}
	return best.clone(), true
}
