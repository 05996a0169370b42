package catalogue

// Load exposes load to the external tests, so they can feed it broken data.
var Load = load
