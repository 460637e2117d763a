package ingest

import (
	"os"
	"path/filepath"
)

// DataDirEnv names the environment variable that sets the folder
// MedMNIST files are fetched into and looked up in.
const DataDirEnv = "GRADPRINT_DATA_DIR"

// DefaultDataDir is the data folder when no flag names one: $GRADPRINT_DATA_DIR,
// else <user cache dir>/gradprint/medmnist, else .gradprint/medmnist.
func DefaultDataDir() string {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gradprint", "medmnist")
	}
	return filepath.Join(".gradprint", "medmnist")
}

// BaseURL is the folder URL official files are fetched from:
// $GRADPRINT_MEDMNIST_URL (a mirror), else DefaultBaseURL.
func BaseURL() string {
	if e := os.Getenv(BaseURLEnv); e != "" {
		return e
	}
	return DefaultBaseURL
}
