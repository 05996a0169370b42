package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"github.com/dost-az/dost"
)

// LangCookie is the name of the cookie remembering the UI language a
// visitor chose with ?lang=.
const LangCookie = "dost_lang"

//go:embed i18n/*.json
var catalogueFS embed.FS

// messages is the UI's message catalogue: for each language of
// dost.Languages, message key → text. Texts are fmt formats when the
// caller passes arguments. A key with plural forms is stored as key:one,
// key:few, key:many or key:other, as the language's plural rule needs.
type messages map[string]map[string]string

// loadMessages reads the embedded catalogue: for each language, i18n/<lang>.json
// and any i18n/<area>.<lang>.json beside it (one file per area of the UI, so
// areas grow their texts apart), merged. A key defined in two files of one
// language is an error.
func loadMessages() (messages, error) {
	m := messages{}
	for _, lang := range dost.Languages {
		names, err := fs.Glob(catalogueFS, "i18n/*."+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("message catalogue %s: %w", lang, err)
		}
		names = append([]string{"i18n/" + lang + ".json"}, names...)
		texts := map[string]string{}
		from := map[string]string{}
		for _, name := range names {
			b, err := catalogueFS.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("message catalogue %s: %w", lang, err)
			}
			var part map[string]string
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("message catalogue %s: %w", name, err)
			}
			for k, v := range part {
				if f, dup := from[k]; dup {
					return nil, fmt.Errorf("message catalogue %s: key %q is in %s too", name, k, f)
				}
				texts[k], from[k] = v, name
			}
		}
		m[lang] = texts
	}
	return m, nil
}

// text returns the message key in lang, formatted with args. A missing key
// shows as the key itself (the catalogue test makes sure none is missing).
func (m messages) text(lang, key string, args ...any) string {
	s, ok := m[lang][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// plural returns the plural form of key for the count n in lang, with n
// formatted into it.
func (m messages) plural(lang, key string, n int) string {
	return m.text(lang, key+":"+pluralForm(lang, n), n)
}

// pluralForm returns the CLDR cardinal plural category of the integer n in
// lang: "one", "few", "many" or "other".
func pluralForm(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	if lang == "ru" {
		switch d, dd := n%10, n%100; {
		case d == 1 && dd != 11:
			return "one"
		case d >= 2 && d <= 4 && (dd < 12 || dd > 14):
			return "few"
		default:
			return "many"
		}
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// pluralForms lists the plural categories pluralForm can return for lang.
func pluralForms(lang string) []string {
	if lang == "ru" {
		return []string{"one", "few", "many"}
	}
	return []string{"one", "other"}
}

// langMatcher matches Accept-Language against dost.Languages, the first
// (Azerbaijani) being the fallback.
var langMatcher = func() language.Matcher {
	tags := make([]language.Tag, len(dost.Languages))
	for i, l := range dost.Languages {
		tags[i] = language.MustParse(l)
	}
	return language.NewMatcher(tags)
}()

// requestLang returns the UI language of r: a valid ?lang= first, then the
// LangCookie, then the best match of Accept-Language, else Azerbaijani.
// When ?lang= chooses a language, it is remembered in the cookie.
func (s *Server) requestLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); dost.ValidLanguage(l) {
		http.SetCookie(w, &http.Cookie{
			Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
		})
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && dost.ValidLanguage(c.Value) {
		return c.Value
	}
	if h := strings.TrimSpace(r.Header.Get("Accept-Language")); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No {
				return dost.Languages[i]
			}
		}
	}
	return dost.Languages[0]
}
