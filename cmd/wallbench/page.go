package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func runPage(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("page")
	bin := fs.String("server", "", "campaignwall `binary` to run")
	posts := fs.Int("posts", 1_000_000, "posts in the database")
	approved := fs.Int("approved", 100_000, "of which approved")
	duration := fs.Duration("duration", 5*time.Second, "length of each wrk run")
	conns := fs.Int("connections", 50, "wrk connections")
	threads := fs.Int("threads", 2, "wrk threads")
	rounds := fs.Int("rounds", 5, "static/wall pairs to run, alternating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" {
		return errors.New("page needs -server: the campaignwall binary")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return fmt.Errorf("page needs wrk (Debian: apt-get install wrk): %w", err)
	}
	dir, err := os.MkdirTemp("", "wallbench-page-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := pageDB(ctx, dir, *posts, *approved, out)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, *bin, dir, db)
	if err != nil {
		return err
	}
	defer srv.stop()

	// The static file is the wall page itself, so both serve the same bytes.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wall page: %d %v", resp.StatusCode, err)
	}
	staticDir := filepath.Join(dir, "static")
	if err := os.MkdirAll(staticDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(staticDir, "wall.html"), page, 0o644); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	static := &http.Server{Handler: http.FileServer(http.Dir(staticDir)), ReadHeaderTimeout: 10 * time.Second}
	go static.Serve(ln)
	defer static.Close()
	staticURL := "http://" + ln.Addr().String() + "/wall.html"

	// What a request costs without the page cache: a query string the
	// cache has not seen makes it render.
	var renders []time.Duration
	for i := range 20 {
		start := time.Now()
		resp, err := http.Get(fmt.Sprintf("%s/?uncached=%d", srv.URL, i))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		renders = append(renders, time.Since(start))
	}
	slices.Sort(renders)

	fmt.Fprintf(out, "wall page: %d posts, %d approved, %d cards, %d bytes; uncached render p50 %s, max %s; wrk -t%d -c%d -d%s; load %s\n",
		*posts, *approved, countCards(page), len(page), ms(pct(renders, 50)), ms(renders[len(renders)-1]), *threads, *conns, *duration, loadAvg())
	fmt.Fprintln(out, "| round | target | requests/s | p50 | p99 | wall / static |")
	fmt.Fprintln(out, "|---:|---|---:|---:|---:|---:|")
	var ratios []float64
	for round := 1; round <= *rounds; round++ {
		st, err := runWrk(ctx, wrk, *threads, *conns, *duration, staticURL)
		if err != nil {
			return fmt.Errorf("wrk static: %w", err)
		}
		wl, err := runWrk(ctx, wrk, *threads, *conns, *duration, srv.URL+"/")
		if err != nil {
			return fmt.Errorf("wrk wall: %w", err)
		}
		fmt.Fprintf(out, "| %d | http.FileServer | %.0f | %s | %s | |\n", round, st.rps, st.p50, st.p99)
		fmt.Fprintf(out, "| %d | wall / | %.0f | %s | %s | %.0f%% |\n", round, wl.rps, wl.p50, wl.p99, 100*wl.rps/st.rps)
		ratios = append(ratios, wl.rps/st.rps)
	}
	if len(ratios) > 0 {
		// Other processes share the machine: one round can be off, the
		// median of several is what to compare.
		slices.Sort(ratios)
		fmt.Fprintf(out, "median wall / static over %d rounds: %.0f%%\n", len(ratios), 100*ratios[len(ratios)/2])
	}
	return nil
}

type wrkResult struct {
	rps      float64
	p50, p99 string
}

func runWrk(ctx context.Context, wrk string, threads, conns int, d time.Duration, target string) (wrkResult, error) {
	var r wrkResult
	cmd := exec.CommandContext(ctx, wrk, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+d.String(), "--latency", target)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return r, fmt.Errorf("%v: %s", err, outb)
	}
	text := string(outb)
	if strings.Contains(text, "Non-2xx or 3xx responses") || strings.Contains(text, "Socket errors") {
		return r, fmt.Errorf("errors during the run:\n%s", text)
	}
	inLatency := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "Latency" && len(f) > 1 && f[1] == "Distribution":
			inLatency = true
		case inLatency && f[0] == "50%" && len(f) > 1:
			r.p50 = f[1]
		case inLatency && f[0] == "99%" && len(f) > 1:
			r.p99 = f[1]
			inLatency = false
		case f[0] == "Requests/sec:" && len(f) > 1:
			r.rps, err = strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("requests/sec %q: %w", f[1], err)
			}
		}
	}
	if r.rps == 0 || r.p99 == "" {
		return r, fmt.Errorf("cannot read wrk's output:\n%s", text)
	}
	return r, nil
}
