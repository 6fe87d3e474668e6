package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func runFanout(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("fanout")
	bin := fs.String("server", "", "campaignwall `binary` to run")
	screensFlag := fs.String("screens", "1000,5000,10000", "comma-separated numbers of screens, one run each")
	events := fs.Int("events", 20, "approvals per run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" {
		return fmt.Errorf("fanout needs -server: the campaignwall binary")
	}
	var counts []int
	for f := range strings.SplitSeq(*screensFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad -screens entry %q", f)
		}
		counts = append(counts, n)
	}
	fmt.Fprintf(out, "fan-out: %d approvals per run, GOMAXPROCS %d, load %s\n", *events, runtime.GOMAXPROCS(0), loadAvg())
	fmt.Fprintln(out, "| screens | deliveries | p50 | p99 | max | all screens p50 | all screens p99 | server RSS per screen | server CPU per event | client CPU per event | missed |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range counts {
		r, err := fanout(ctx, *bin, n, *events)
		if err != nil {
			return fmt.Errorf("%d screens: %w", n, err)
		}
		fmt.Fprintf(out, "| %d | %d | %s | %s | %s | %s | %s | %.1f KB | %s | %s | %d |\n", n, r.deliveries, ms(r.p50), ms(r.p99), ms(r.max),
			ms(r.allP50), ms(r.allP99), float64(r.rssPerScreen)/1024, ms(r.serverCPU), ms(r.clientCPU), r.missed)
	}
	return nil
}

type fanoutResult struct {
	deliveries     int
	p50, p99, max  time.Duration // over every (event, screen)
	allP50, allP99 time.Duration // over events: the time until the last screen had it
	rssPerScreen   int64
	serverCPU      time.Duration // per event, while events were sent
	clientCPU      time.Duration
	missed         int
}

func fanout(ctx context.Context, bin string, n, events int) (fanoutResult, error) {
	var res fanoutResult
	dir, err := os.MkdirTemp("", "wallbench-fanout-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	db := dir + "/wall.db"
	ids, err := seedFanout(ctx, db, events)
	if err != nil {
		return res, err
	}
	srv, err := startServer(ctx, bin, dir, db)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	mod, err := login(srv.URL, benchModerator, benchPassword)
	if err != nil {
		return res, err
	}

	// Which event a post's approval is, and when it was sent.
	index := make(map[int64]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	sent := make([]atomic.Int64, events) // UnixNano when the approval went out
	arrived := make([][]time.Duration, events)
	for i := range arrived {
		arrived[i] = make([]time.Duration, n)
	}
	waits := make([]sync.WaitGroup, events)
	for i := range waits {
		waits[i].Add(n)
	}

	var wg sync.WaitGroup
	var conns []net.Conn
	var connsMu sync.Mutex
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	open := func(slot int) error {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			return err
		}
		connsMu.Lock()
		conns = append(conns, c)
		connsMu.Unlock()
		if _, err := io.WriteString(c, "GET /wall/events HTTP/1.1\r\nHost: "+srv.Addr+"\r\nAccept: text/event-stream\r\nUser-Agent: wallbench\r\n\r\n"); err != nil {
			return err
		}
		br := bufio.NewReaderSize(c, 1024)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("event stream: %s", resp.Status)
		}
		body := bufio.NewReaderSize(resp.Body, 512)
		// The retry frame comes once the hub has the screen.
		if _, err := body.ReadSlice('\n'); err != nil {
			return err
		}
		if slot < 0 {
			wg.Go(func() { io.Copy(io.Discard, body) }) // warm-up screens
			return nil
		}
		wg.Go(func() { readScreen(body, slot, index, sent, arrived, waits) })
		return nil
	}
	// Warm the server up, so one-time costs are not counted per screen.
	for range 20 {
		if err := open(-1); err != nil {
			return res, err
		}
	}
	time.Sleep(time.Second) // let the server settle before reading its RSS
	before, err := srv.rss()
	if err != nil {
		return res, err
	}
	sem := make(chan struct{}, 128)
	errs := make(chan error, n)
	var opening sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		opening.Go(func() {
			defer func() { <-sem }()
			if err := open(i); err != nil {
				errs <- err
			}
		})
	}
	opening.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return res, fmt.Errorf("open screen: %w", err)
	}
	time.Sleep(time.Second)
	after, err := srv.rss()
	if err != nil {
		return res, err
	}
	res.rssPerScreen = (after - before) / int64(n)

	cpuBefore, err := srv.cpu()
	if err != nil {
		return res, err
	}
	selfBefore := selfCPU()
	for i, id := range ids {
		sent[i].Store(time.Now().UnixNano())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/moderate/posts/%d/approve", srv.URL, id), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := mod.Do(req)
		if err != nil {
			return res, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return res, fmt.Errorf("approve %d: %s", id, resp.Status)
		}
		done := make(chan struct{})
		go func() { waits[i].Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return res, fmt.Errorf("event %d did not reach every screen in 30 s", i)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}

	cpuAfter, err := srv.cpu()
	if err != nil {
		return res, err
	}
	res.serverCPU = (cpuAfter - cpuBefore) / time.Duration(events)
	res.clientCPU = (selfCPU() - selfBefore) / time.Duration(events)

	var all, last []time.Duration
	for _, per := range arrived {
		worst := time.Duration(0)
		for _, d := range per {
			if d == 0 {
				res.missed++
				continue
			}
			all = append(all, d)
			worst = max(worst, d)
		}
		last = append(last, worst)
	}
	slices.Sort(all)
	slices.Sort(last)
	res.deliveries = len(all)
	res.p50, res.p99, res.max = pct(all, 50), pct(all, 99), all[len(all)-1]
	res.allP50, res.allP99 = pct(last, 50), pct(last, 99)
	return res, nil
}

// readScreen reads one stream until it ends, timing the arrival of each
// awaited post event.
func readScreen(body *bufio.Reader, slot int, index map[int64]int, sent []atomic.Int64, arrived [][]time.Duration, waits []sync.WaitGroup) {
	prefix := []byte(`data: {"id":`)
	midLine := false
	for {
		line, err := body.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		if !midLine && bytes.HasPrefix(line, prefix) {
			rest := line[len(prefix):]
			end := bytes.IndexAny(rest, ",}")
			if end > 0 {
				id, perr := strconv.ParseInt(string(rest[:end]), 10, 64)
				if i, ok := index[id]; perr == nil && ok && arrived[i][slot] == 0 {
					arrived[i][slot] = time.Duration(time.Now().UnixNano() - sent[i].Load())
					waits[i].Done()
				}
			}
		}
		midLine = err == bufio.ErrBufferFull
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
