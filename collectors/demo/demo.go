// Package demo is the built-in source behind `campaignwall demo`: realistic,
// multilingual #CohesionAlliance posts, some with project photos embedded in
// the binary, trickling in one at a time so a newcomer with no API keys and no
// network sees the queue fill and the wall update live.
//
// The authors and instances are invented (*.example); the photos are drawn.
package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

//go:embed photos/*.jpg
var photos embed.FS

// PhotoPath prefixes the demo photos' URLs; main hands them to the media
// cache from the embedded files (see Photos), like any fetched photo.
const PhotoPath = "/demo/photos/"

// Photos returns the embedded photo files, named as under PhotoPath.
func Photos() fs.FS {
	sub, err := fs.Sub(photos, "photos")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

// SourceName is the name of the demo source in the store.
const SourceName = "demo"

// Collector hands out the demo posts: Seed returns the first batch at once,
// and each Collect the next few, cycling with fresh URIs once all were shown.
type Collector struct {
	now     func() time.Time
	perCall int
}

// New returns a demo collector that yields perCall posts per Collect.
func New(now func() time.Time, perCall int) *Collector {
	if now == nil {
		now = time.Now
	}
	return &Collector{now: now, perCall: max(1, perCall)}
}

// SeedCount is how many posts Seed returns; the first SeedApproved of them are
// meant to be approved at start, so the wall is never empty.
const (
	SeedCount    = 8
	SeedApproved = 5
)

// Seed returns the posts a demo starts with, oldest last.
func (c *Collector) Seed() []model.Post {
	now := c.now()
	posts := make([]model.Post, 0, SeedCount)
	for i := range SeedCount {
		posts = append(posts, build(i, 0, now.Add(-time.Duration(SeedCount-i)*7*time.Minute)))
	}
	return posts
}

// Collect returns the next posts after cursor (an index into the script).
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	next := SeedCount
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("demo: bad cursor %q", cursor)
		}
		next = n
	}
	var posts []model.Post
	for range c.perCall {
		posts = append(posts, build(next%len(script), next/len(script), c.now()))
		next++
	}
	return posts, strconv.Itoa(next), nil
}

type scripted struct {
	handle, name, lang, html, photo, alt, cw string
}

// build turns script entry i into a post; round > 0 gives a fresh URI so a
// long-running demo keeps producing new posts.
func build(i, round int, at time.Time) model.Post {
	s := script[i]
	html, text := collectors.SanitizeHTML(s.html)
	id := strconv.Itoa(i)
	if round > 0 {
		id += "-" + strconv.Itoa(round)
	}
	user, instance := splitHandle(s.handle)
	p := model.Post{
		Network:  model.NetworkDemo,
		URI:      "https://" + instance + "/users/" + user + "/statuses/demo-" + id,
		URL:      "https://" + instance + "/@" + user + "/demo-" + id,
		RemoteID: "demo-" + id,
		Author: model.Author{
			Handle:      s.handle,
			DisplayName: s.name,
			URL:         "https://" + instance + "/@" + user,
		},
		HTML:           html,
		Text:           text,
		Language:       s.lang,
		ContentWarning: s.cw,
		Tags:           []string{"cohesionalliance"},
		PublishedAt:    at,
		SourceName:     SourceName,
	}
	if s.photo != "" {
		p.Media = []model.Media{{Kind: model.MediaImage, URL: PhotoPath + s.photo, PreviewURL: PhotoPath + s.photo, AltText: s.alt, Width: 960, Height: 640}}
	}
	return p
}

func splitHandle(h string) (user, instance string) {
	for i := range len(h) {
		if h[i] == '@' {
			return h[:i], h[i+1:]
		}
	}
	return h, "social.example"
}

var script = []scripted{
	{"regio_noord@social.example", "Regio Noord", "nl",
		`<p>De nieuwe fietsbrug over de Eems is open! Gebouwd met steun van het EFRO. Zonder cohesiebeleid was dit er nooit gekomen. <a href="https://social.example/tags/CohesionAlliance" class="mention hashtag">#<span>CohesionAlliance</span></a></p>`,
		"bridge.jpg", "A white arched footbridge over a wide river at sunset", ""},
	{"ciudad_sol@mastodon.example", "Ayuntamiento de Villasol", "es",
		`<p>Nuestro parque solar municipal ya abastece a 4.000 hogares. Financiado por la política de cohesión de la UE. ¡Firmad la Llamada Conjunta! #CohesionAlliance</p>`,
		"solar.jpg", "Rows of dark blue solar panels on green grass under a clear sky", ""},
	{"cor_europa@eu.example", "European Committee of the Regions", "en",
		`<p>Over 12,000 regions, cities, associations and citizens have joined the <a href="https://eu.example/tags/CohesionAlliance">#CohesionAlliance</a>. A strong cohesion policy after 2027 leaves no one behind. Sign the Joint Call: <a href="https://cor.europa.eu/en/our-work/Pages/CohesionAlliance.aspx"><span class="invisible">https://</span><span class="ellipsis">cor.europa.eu/en/our-work/Pag</span><span class="invisible">es/CohesionAlliance.aspx</span></a></p>`,
		"", "", ""},
	{"miasto_tramwaj@fedi.example", "Miasto Zielonka", "pl",
		`<p>Nowa linia tramwajowa łączy osiedla z centrum – 20 minut zamiast godziny w korku. Dziękujemy, Fundusz Spójności! #CohesionAlliance</p>`,
		"tram.jpg", "A blue and white tram passing colourful town houses", ""},
	{"kustregion@social.example", "Kustregionen", "sv",
		`<p>Vindkraften utanför vår kust ger jobb åt 300 personer i regionen. Sammanhållningspolitiken fungerar. #CohesionAlliance</p>`,
		"wind.jpg", "Three white wind turbines standing on the coast by the sea", ""},
	{"dimos_thalassa@mastodon.example", "Δήμος Θάλασσας", "el",
		`<p>Το νέο σχολείο μας ανακαινίστηκε με πόρους της πολιτικής συνοχής. Καμία περιφέρεια δεν μένει πίσω! #CohesionAlliance</p>`,
		"school.jpg", "A renovated school building with the EU flag on its roof", ""},
	{"region_centre@social.example", "Région Centre-Val", "fr",
		`<p>La politique de cohésion, ce sont des routes, des écoles, des hôpitaux – et des emplois. Rejoignez l'Alliance pour la cohésion ! #CohesionAlliance</p>`,
		"", "", ""},
	{"landkreis_nord@fedi.example", "Landkreis Nordheide", "de",
		`<p>Breitband für alle Dörfer im Landkreis: dank EFRE-Förderung jetzt 98 % Abdeckung. Kohäsion wirkt! #CohesionAlliance</p>`,
		"", "", ""},
	{"comune_valle@social.example", "Comune di Valleverde", "it",
		`<p>Abbiamo firmato la Dichiarazione congiunta dell'Alleanza per la coesione. Le regioni devono restare al centro del prossimo bilancio UE. #CohesionAlliance</p>`,
		"", "", ""},
	{"judet_delta@mastodon.example", "Consiliul Județean Delta", "ro",
		`<p>Apă curată pentru 40 de sate din județ, cu fonduri de coeziune. Semnați apelul comun! #CohesionAlliance</p>`,
		"", "", ""},
	{"student_ana@fedi.example", "Ana M.", "pt",
		`<p>Estudei num laboratório financiado pelo FEDER e hoje trabalho numa startup da minha região. A coesão muda vidas. #CohesionAlliance</p>`,
		"", "", ""},
	{"varos_duna@social.example", "Dunaváros Önkormányzata", "hu",
		`<p>Megújult a rakpart és a városi park – a kohéziós politika a mi városunkban is látszik. #CohesionAlliance</p>`,
		"bridge.jpg", "A riverside promenade with a bridge in the evening light", ""},
	{"mesto_hory@mastodon.example", "Město Horská", "cs",
		`<p>Nová nemocniční budova otevřena díky evropským fondům. Podepište společnou výzvu! #CohesionAlliance</p>`,
		"", "", ""},
	{"maakunta@fedi.example", "Pohjois-Maakunta", "fi",
		`<p>Koheesiopolitiikka tuo junan takaisin pohjoiseen. Allekirjoita yhteinen vetoomus! #CohesionAlliance</p>`,
		"tram.jpg", "A modern blue tram at a stop in a small town", ""},
	{"obshtina_rila@social.example", "Община Рила", "bg",
		`<p>Кохезионната политика изгради новата ни детска градина. Присъединете се към Алианса за сближаване! #CohesionAlliance</p>`,
		"school.jpg", "A bright new kindergarten building with a flag on the roof", ""},
	{"grad_jadran@mastodon.example", "Grad Jadran", "hr",
		`<p>Obnovljena luka i šetnica – financirano iz kohezijske politike EU. #CohesionAlliance</p>`,
		"", "", ""},
	{"ngo_youth@fedi.example", "Youth for Regions", "en",
		`<p>Young people in rural regions need cohesion policy more than ever. We just held our local #CohesionAlliance event with 80 participants!</p>`,
		"", "", ""},
	{"kommune_fjord@social.example", "Fjordby Kommune", "da",
		`<p>Vi har underskrevet den fælles opfordring. Samhørighedspolitikken skal være stærk efter 2027. #CohesionAlliance</p>`,
		"wind.jpg", "Wind turbines along a windy coastline", ""},
	{"citizen_mark@mastodon.example", "Mark", "en",
		`<p>Honest question: why does my region still wait for the promised bypass road? Cohesion money should reach people faster. #CohesionAlliance</p>`,
		"", "", "Criticism of delays"},
	{"savivaldybe@fedi.example", "Ežerų savivaldybė", "lt",
		`<p>Sanglaudos politikos dėka atnaujinome bibliotekas visame rajone. #CohesionAlliance</p>`,
		"", "", ""},
}
