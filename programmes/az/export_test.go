package az

// HashFS exposes hashFS to the external tests.
var HashFS = hashFS
