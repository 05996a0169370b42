package filestore

import (
	"bytes"
	"mime"
	"net/http"
	"path"
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

// typeNames name the accepted content types in CheckDeclared's messages.
var typeNames = map[string]string{
	"application/pdf": "a PDF",
	"image/jpeg":      "a JPEG image",
	"image/png":       "a PNG image",
}

// typeAliases are other names clients give the accepted content types.
var typeAliases = map[string]string{
	"application/x-pdf": "application/pdf",
	"image/jpg":         "image/jpeg",
	"image/pjpeg":       "image/jpeg",
	"image/x-png":       "image/png",
}

// extensionTypes are the content types file name extensions claim: the
// accepted ones and other common document and image types (a fixed table,
// not the system's, so the answer is the same on every machine).
var extensionTypes = map[string]string{
	".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
	".jfif": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
	".webp": "image/webp", ".heic": "image/heic", ".heif": "image/heif", ".svg": "image/svg+xml",
	".txt": "text/plain", ".htm": "text/html", ".html": "text/html", ".xml": "application/xml",
	".rtf": "application/rtf", ".doc": "application/msword", ".odt": "application/vnd.oasis.opendocument.text",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".zip": "application/zip", ".exe": "application/vnd.microsoft.portable-executable",
}

// CheckDeclared checks what a client says a file is against sniffed, the
// content type Sniff found in its content: the extension of fileName (when
// it is one of extensionTypes; a name without one, or with another,
// claims nothing) and declared, the upload's Content-Type ("" and the
// generic application/octet-stream claim nothing; parameters and aliases
// such as image/jpg are understood). A file that is not what it claims is
// refused: an EINVALID *dost.Error with field "file" and code
// "file.type_mismatch" whose message names the claim and the content.
func CheckDeclared(fileName, declared, sniffed string) error {
	var v dost.Validation
	content := typeNames[sniffed]
	if content == "" {
		content = "of type " + sniffed
	}
	ext := strings.ToLower(path.Ext(strings.TrimSpace(fileName)))
	if t, ok := extensionTypes[ext]; ok && t != sniffed {
		v.Add("file", "file.type_mismatch", "The file %q is named as %s by its extension %s, but its content is %s.",
			fileName, describe(t), ext, content)
	}
	if declared = strings.TrimSpace(declared); declared != "" {
		mt, _, err := mime.ParseMediaType(declared)
		if a, ok := typeAliases[mt]; ok {
			mt = a
		}
		switch {
		case err != nil:
			v.Add("file", "file.type_mismatch", "The file %q is sent with the type %q, which is not a media type; its content is %s.",
				fileName, declared, content)
		case mt != "application/octet-stream" && mt != sniffed:
			v.Add("file", "file.type_mismatch", "The file %q is sent as %s, but its content is %s.", fileName, describe(mt), content)
		}
	}
	return v.Err("The file is not what it claims to be.")
}

// describe names content type t for a message.
func describe(t string) string {
	if n := typeNames[t]; n != "" {
		return n
	}
	return t
}
