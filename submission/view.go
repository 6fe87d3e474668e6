package submission

import (
	"strconv"
	"strings"
	"time"
)

// formView is everything the submission pages show. Components get it built.
type formView struct {
	T               *Text
	CampaignName    string
	Limits          Limits
	Retention       time.Duration
	CSSURL          string
	JSURL           string
	Values          formValues
	Errors          map[string]string // field → message
	Problems        []problem         // the same, in the form's order, for the summary
	ChooseFileAgain bool
}

func fieldID(name string) string { return "f-" + name }

// describedBy links an input to its hint and its error, so screen readers
// read both with it.
func (v formView) describedBy(name string, hint bool) string {
	var ids []string
	if hint {
		ids = append(ids, fieldID(name)+"-hint")
	}
	if v.Errors[name] != "" {
		ids = append(ids, fieldID(name)+"-error")
	}
	return strings.Join(ids, " ")
}

func (v formView) invalid(name string) string {
	if v.Errors[name] != "" {
		return "true"
	}
	return "false"
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

// accept lists the types the file picker offers. Leaving HEIC out makes
// iPhones convert photos to JPEG on upload.
const accept = "image/jpeg,image/png,image/webp,video/mp4,video/webm"
