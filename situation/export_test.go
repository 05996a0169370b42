package situation

// ValidJSON and MaxJSONDepth export the decoder's syntax check to the
// tests, which compare it with json.Valid.
var ValidJSON = validJSON

const MaxJSONDepth = maxJSONDepth
