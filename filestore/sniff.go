package filestore

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/dost-az/dost"
)

// Sniff returns the content type of a document's content, detected from
// its first bytes (never as claimed by the client or the file name), if it
// is one of dost.DocumentContentTypes and the content is not empty and at
// most dost.MaxDocumentSize bytes. Otherwise it returns an EINVALID
// *dost.Error with field "file" and code "file.empty", "file.too_large" or
// "file.type_not_allowed".
func Sniff(content []byte) (contentType string, err error) {
	var v dost.Validation
	switch {
	case len(content) == 0:
		v.Add("file", "file.empty", "The file is empty.")
		return "", v.Err("The file is empty.")
	case len(content) > dost.MaxDocumentSize:
		v.Add("file", "file.too_large", "The file is larger than %d MiB.", dost.MaxDocumentSize>>20)
		return "", v.Err("The file is too large.")
	}
	ct, _, _ := strings.Cut(http.DetectContentType(content), ";")
	if ct == "application/pdf" && !bytes.HasPrefix(content, []byte("%PDF-")) {
		ct = "application/octet-stream"
	}
	if !slices.Contains(dost.DocumentContentTypes, ct) {
		v.Add("file", "file.type_not_allowed", "A file of type %s is not accepted; send a PDF, JPEG or PNG file.", ct)
		return "", v.Err("The file's type is not accepted.")
	}
	return ct, nil
}
