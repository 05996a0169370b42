package pdf

// CertificateCode returns a new random certificate code, made as letter
// codes are (see LetterCode): 16 symbols of Crockford's base32, 80 bits
// from crypto/rand, in groups of four. A certificate and a letter never
// share a code in practice; each has its own unique column.
func CertificateCode() string { return LetterCode() }

// NormalizeCertificateCode returns the canonical form of a certificate
// code as typed, and whether it is one; the rules are those of
// NormalizeLetterCode.
func NormalizeCertificateCode(s string) (string, bool) { return NormalizeLetterCode(s) }
