package dost

import "strconv"

// fieldIndex names an element's field in a list, e.g. "members[2].role".
func fieldIndex(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}
