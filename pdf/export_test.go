package pdf

// QRPNG exposes qrPNG to the tests.
var QRPNG = qrPNG
