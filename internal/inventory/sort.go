package inventory

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// SortFieldError reports a --sort field the rows do not have.
type SortFieldError struct {
	Field string
	Known []string
}

func (e *SortFieldError) Error() string {
	return fmt.Sprintf("cannot sort by %q: no such field", e.Field)
}

// Hint lists the fields that can be sorted on.
func (e *SortFieldError) Hint() string { return "sortable fields: " + strings.Join(e.Known, ", ") }

// Fields returns the JSON field names of a row type, in declaration order.
func Fields[T any]() []string {
	t := reflect.TypeFor[T]()
	var names []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// SortBy sorts rows by the field whose JSON name is field (stable; a leading
// "-" sorts descending). An empty field leaves the order as it is.
func SortBy[T any](rows []T, field string) error {
	if field == "" {
		return nil
	}
	desc := strings.HasPrefix(field, "-")
	field = strings.TrimPrefix(field, "-")
	t := reflect.TypeFor[T]()
	idx := -1
	for i := range t.NumField() {
		if jsonName(t.Field(i)) == field {
			idx = i
			break
		}
	}
	if idx < 0 {
		return &SortFieldError{Field: field, Known: Fields[T]()}
	}
	slices.SortStableFunc(rows, func(a, b T) int {
		c := compareValues(reflect.ValueOf(a).Field(idx), reflect.ValueOf(b).Field(idx))
		if desc {
			return -c
		}
		return c
	})
	return nil
}

func compareValues(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp.Compare(a.Int(), b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cmp.Compare(a.Uint(), b.Uint())
	case reflect.Float32, reflect.Float64:
		return cmp.Compare(a.Float(), b.Float())
	case reflect.Bool:
		return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool()))
	case reflect.String:
		return strings.Compare(strings.ToLower(a.String()), strings.ToLower(b.String()))
	case reflect.Slice:
		return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
	case reflect.Pointer:
		switch {
		case a.IsNil() && b.IsNil():
			return 0
		case a.IsNil():
			return -1
		case b.IsNil():
			return 1
		}
		return compareValues(a.Elem(), b.Elem())
	case reflect.Struct:
		if ta, ok := a.Interface().(time.Time); ok {
			return ta.Compare(b.Interface().(time.Time))
		}
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
