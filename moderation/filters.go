package moderation

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// maxSearch caps a search's length, in characters.
const maxSearch = 200

// dateLayout is how date inputs send a day.
const dateLayout = "2006-01-02"

// queueQuery is what a queue page's address holds: the status tab, the
// filters and the paging cursor. Every link and form on the page is built
// from it, so filters survive paging, decisions and bulk actions.
type queueQuery struct {
	Status   model.Status
	Network  string
	Source   string
	Category string
	Language string
	Photo    store.Photo
	Search   string
	From, To string // days as the date inputs send them, YYYY-MM-DD; To included
	Before   int64
}

// queueURL is the address of a queue page without filters.
func queueURL(status model.Status, before int64) string {
	return queueQuery{Status: status, Before: before}.URL()
}

// URL is the query's address; only known values go in, so it is always a
// local path.
func (q queueQuery) URL() string {
	v := q.filterValues()
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if len(v) == 0 {
		return "/moderate"
	}
	return "/moderate?" + v.Encode()
}

// filterValues are the query's status and filters, without the page.
func (q queueQuery) filterValues() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Status != model.StatusPending {
		set("status", string(q.Status))
	}
	set("network", q.Network)
	set("source", q.Source)
	set("category", q.Category)
	set("language", q.Language)
	set("photo", string(q.Photo))
	set("q", q.Search)
	set("from", q.From)
	set("to", q.To)
	return v
}

// Filtered reports whether any filter beyond the status tab is set.
func (q queueQuery) Filtered() bool {
	q.Status, q.Before = model.StatusPending, 0
	return q != queueQuery{Status: model.StatusPending}
}

// parseQueueQuery reads a queue page's address. Unknown statuses and bad
// cursors are errors (the page answers 400); a malformed filter value is
// dropped with a problem to show, so a hand-edited address still shows a page.
func parseQueueQuery(v url.Values) (q queueQuery, problems []string, ok bool) {
	status, before, ok := parsePage(v.Get("status"), v.Get("before"))
	if !ok {
		return queueQuery{}, nil, false
	}
	q = queueQuery{Status: status, Before: before}
	q.Network = strings.TrimSpace(v.Get("network"))
	q.Source = strings.TrimSpace(v.Get("source"))
	q.Category = strings.TrimSpace(v.Get("category"))
	q.Language = strings.TrimSpace(v.Get("language"))
	switch p := store.Photo(v.Get("photo")); p {
	case store.PhotoAny, store.PhotoWith, store.PhotoWithout:
		q.Photo = p
	default:
		problems = append(problems, "The photo filter takes “with” or “without”; it was left out.")
	}
	q.Search = strings.TrimSpace(v.Get("q"))
	if utf8.RuneCountInString(q.Search) > maxSearch {
		q.Search = string([]rune(q.Search)[:maxSearch])
		problems = append(problems, fmt.Sprintf("The search was cut to its first %d characters.", maxSearch))
	}
	for _, d := range []struct {
		name string
		val  *string
	}{{"from", &q.From}, {"to", &q.To}} {
		*d.val = strings.TrimSpace(v.Get(d.name))
		if *d.val == "" {
			continue
		}
		if _, err := time.Parse(dateLayout, *d.val); err != nil {
			problems = append(problems, fmt.Sprintf("The %q date is not a day like 2026-10-14; it was left out.", d.name))
			*d.val = ""
		}
	}
	return q, problems, true
}

// filter is the store's filter for the query; days are whole days in loc.
func (q queueQuery) filter(loc *time.Location) store.QueueFilter {
	f := store.QueueFilter{
		Status: q.Status, Network: model.Network(q.Network), Source: q.Source,
		Category: q.Category, Language: q.Language, Photo: q.Photo, Search: q.Search,
	}
	f.From, f.To = dayRange(q.From, q.To, loc)
	return f
}

// dayRange reads a from/to pair of whole days (dateLayout, in loc) as the
// instants they cover: from's midnight up to the midnight after to. A day
// that does not parse leaves its end open (the zero time).
func dayRange(from, to string, loc *time.Location) (start, end time.Time) {
	if t, err := time.ParseInLocation(dateLayout, from, loc); err == nil {
		start = t
	}
	if t, err := time.ParseInLocation(dateLayout, to, loc); err == nil {
		end = t.AddDate(0, 0, 1)
	}
	return start, end
}

// FilterOption is one value of a filter's menu, with how many posts it would show.
type FilterOption struct {
	Value    string
	Label    string
	Count    int
	Selected bool
}

// FilterMenu is one filter: its field name, label and options.
type FilterMenu struct {
	Name    string // the query parameter
	Label   string
	AnyText string // the option that turns the filter off
	Options []FilterOption
}

// menu lists a facet's values with their counts, the most frequent first,
// keeping the chosen value even when nothing matches it any more.
func menu(name, label, anyText string, counts map[string]int, chosen string, labelOf func(string) string) FilterMenu {
	m := FilterMenu{Name: name, Label: label, AnyText: anyText}
	for v, n := range counts {
		if v == "" || n == 0 {
			continue
		}
		m.Options = append(m.Options, FilterOption{Value: v, Count: n, Selected: v == chosen})
	}
	if chosen != "" && counts[chosen] == 0 {
		m.Options = append(m.Options, FilterOption{Value: chosen, Selected: true})
	}
	slices.SortFunc(m.Options, func(a, b FilterOption) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	for i := range m.Options {
		o := &m.Options[i]
		o.Label = o.Value
		if labelOf != nil {
			o.Label = labelOf(o.Value)
		}
	}
	return m
}

// filterMenus builds the filter form's menus from the counts.
func filterMenus(q queueQuery, c store.QueueCounts) []FilterMenu {
	photo := map[string]int{string(store.PhotoWith): c.Photo[store.PhotoWith], string(store.PhotoWithout): c.Photo[store.PhotoWithout]}
	photoMenu := menu("photo", "Photo", "With or without", photo, string(q.Photo), func(v string) string {
		if v == string(store.PhotoWith) {
			return "With photo"
		}
		return "Without photo"
	})
	return []FilterMenu{
		menu("network", "Network", "All networks", c.Network, q.Network, nil),
		menu("source", "Source", "All sources", c.Source, q.Source, nil),
		menu("category", "Category", "All categories", c.Category, q.Category, nil),
		menu("language", "Language", "All languages", c.Language, q.Language, nil),
		photoMenu,
	}
}

// optionText is an option as the menu shows it: "mastodon (1,204)".
func optionText(o FilterOption) string {
	return fmt.Sprintf("%s (%s)", o.Label, thousands(o.Count))
}

// hiddenFilters are the query's status and filters as hidden form fields,
// for forms that must keep them (decisions, bulk actions).
func (q queueQuery) hiddenFilters() [][2]string {
	v := q.filterValues()
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, v.Get(k)})
	}
	return out
}

// searchCappedText says that a search matched too many posts to count.
func searchCappedText() string {
	return fmt.Sprintf("This search matches more than %s posts: only the newest %s matches are counted and listed. Add a word or a filter to narrow it.",
		thousands(store.SearchWindow), thousands(store.SearchWindow))
}
