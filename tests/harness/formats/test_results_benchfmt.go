// Command test_results_benchfmt checks cbench's benchmark output against
// Go itself, for test_results_go.sh. It needs only Go's standard library.
//
//	test_results_benchfmt lines FILE
//		FILE holds pairs of lines from `test_results_writer lines`: "R"
//		(a record's name, procs, iterations, then unit and value pairs)
//		and "L" (cbench's line for it). Each L must equal the line Go's
//		testing package prints for the same result:
//		benchmarkName + "\t" + BenchmarkResult.String() [+ "\t" + MemString()].
//
//	test_results_benchfmt parse BENCH_TXT RESULTS_JSON
//		Reads BENCH_TXT strictly by the Go benchmark format
//		(golang.org/design/14313-benchmark-format): valid UTF-8,
//		"key: value" configuration lines, result lines
//		"Benchmark<name> <iters> (<value> <unit>)+" split on white space.
//		Every measured benchmark of RESULTS_JSON must appear exactly once,
//		under the right goos, goarch, cpu and pkg, with its values; no
//		other line may parse as a result or a configuration line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "lines" {
		os.Exit(checkLines(os.Args[2]))
	}
	if len(os.Args) == 4 && os.Args[1] == "parse" {
		os.Exit(checkBenchTxt(os.Args[2], os.Args[3]))
	}
	fmt.Fprintln(os.Stderr, "usage: test_results_benchfmt lines FILE | parse BENCH_TXT RESULTS_JSON")
	os.Exit(2)
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines, s.Err()
}

// goLine is the line Go's testing package prints for this result.
func goLine(fields []string) (string, error) {
	if len(fields) < 3 || len(fields)%2 != 1 {
		return "", fmt.Errorf("bad record: %q", fields)
	}
	procs, err := strconv.Atoi(fields[1])
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(fields[2])
	if err != nil {
		return "", err
	}
	r := testing.BenchmarkResult{N: n, Extra: map[string]float64{}}
	mem := false
	for i := 3; i < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i+1], 64)
		if err != nil {
			return "", err
		}
		r.Extra[fields[i]] = v
		mem = mem || fields[i] == "B/op" || fields[i] == "allocs/op"
	}
	name := fields[0]
	if procs != 1 {
		name = fmt.Sprintf("%s-%d", name, procs)
	}
	line := name + "\t" + r.String()
	if mem {
		line += "\t" + r.MemString()
	}
	return line, nil
}

func checkLines(path string) int {
	lines, err := readLines(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if len(lines) == 0 || len(lines)%2 != 0 {
		fmt.Fprintf(os.Stderr, "%s: expected pairs of lines, got %d lines\n", path, len(lines))
		return 1
	}
	bad := 0
	for i := 0; i < len(lines); i += 2 {
		if !strings.HasPrefix(lines[i], "R\t") || !strings.HasPrefix(lines[i+1], "L\t") {
			fmt.Fprintf(os.Stderr, "%s:%d: not an R/L pair\n", path, i+1)
			return 1
		}
		want, err := goLine(strings.Split(lines[i][2:], "\t"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s:%d: %v\n", path, i+1, err)
			return 1
		}
		if got := lines[i+1][2:]; got != want {
			bad++
			if bad <= 20 {
				fmt.Fprintf(os.Stderr, "record %s\n  cbench: %q\n  go:     %q\n", lines[i], got, want)
			}
		}
	}
	fmt.Printf("%d lines compared with Go's testing package, %d differ\n", len(lines)/2, bad)
	if bad > 0 {
		return 1
	}
	return 0
}

// parseConfig reads "key: value" as the format defines a configuration
// line: the key starts with a lower-case letter and holds no space nor
// upper-case letter; one or more spaces or tabs follow the colon unless
// the value is empty.
func parseConfig(line string) (key, val string, ok bool) {
	colon := -1
	for i, r := range line {
		if i == 0 && !unicode.IsLower(r) {
			return "", "", false
		}
		if unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", "", false
		}
		if i > 0 && r == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return "", "", false
	}
	key, val = line[:colon], line[colon+1:]
	if val == "" {
		return key, "", true
	}
	trimmed := strings.TrimLeft(val, " \t")
	if trimmed == val {
		return "", "", false
	}
	return key, trimmed, true
}

type result struct {
	name   string
	iters  int
	values map[string]float64
	config map[string]string
}

// parseResult reads a line that starts with "Benchmark" as the format
// defines a result line: an even number of at least four fields.
func parseResult(line string) (*result, error) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return nil, fmt.Errorf("%d fields", len(f))
	}
	iters, err := strconv.Atoi(f[1])
	if err != nil {
		return nil, fmt.Errorf("iterations: %v", err)
	}
	res := &result{name: f[0], iters: iters, values: map[string]float64{}}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, fmt.Errorf("value %q: %v", f[i], err)
		}
		if _, dup := res.values[f[i+1]]; dup {
			return nil, fmt.Errorf("unit %q twice", f[i+1])
		}
		res.values[f[i+1]] = v
	}
	return res, nil
}

type jsonRecord struct {
	Kind    string
	Binary  *string
	Name    string
	Procs   int
	Status  string
	N       int
	Metrics []struct {
		Value *float64
		Unit  string
	}
	Limits []struct {
		Breached bool
	}
}

// breached tells whether a record broke one of its limits.
func breached(rec jsonRecord) bool {
	for _, l := range rec.Limits {
		if l.Breached {
			return true
		}
	}
	return false
}

type jsonResults struct {
	Goos, Goarch, Cpu, Pkg string
	Records                []jsonRecord
}

// rewrite is what Go's testing package does to a sub-benchmark name.
func rewrite(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func expectedName(r jsonRecord) string {
	name := r.Name
	if !strings.HasPrefix(name, "Benchmark") {
		name = "Benchmark" + name
	}
	name = rewrite(name)
	if r.Procs > 1 {
		name = fmt.Sprintf("%s-%d", name, r.Procs)
	}
	return name
}

func binaryOf(r jsonRecord) string {
	if r.Binary == nil {
		return ""
	}
	return *r.Binary
}

func pkgOf(res *jsonResults, binary string) string {
	if res.Pkg == "" {
		return binary
	}
	if binary == "" {
		return res.Pkg
	}
	return res.Pkg + "/" + binary
}

// near reports whether a printed value is the record's value as Go's
// formats round it: to 7 decimals at most, to integers when large, and
// B/op and allocs/op truncated.
func near(printed, want float64) bool {
	d := math.Abs(printed - want)
	return d <= 1 || d <= 1e-3*math.Abs(want) || d <= 5e-8
}

func checkBenchTxt(benchPath, jsonPath string) int {
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var res jsonResults
	if err := json.Unmarshal(data, &res); err != nil {
		fmt.Fprintln(os.Stderr, jsonPath, err)
		return 1
	}
	lines, err := readLines(benchPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	errors := 0
	complain := func(line int, format string, args ...interface{}) {
		errors++
		fmt.Fprintf(os.Stderr, "%s:%d: %s\n", benchPath, line, fmt.Sprintf(format, args...))
	}

	config := map[string]string{}
	var results []*result
	var verdicts []string // PASS or FAIL per block, with its pkg
	for i, line := range lines {
		if !utf8.ValidString(line) {
			complain(i+1, "not UTF-8: %q", line)
			continue
		}
		if strings.HasPrefix(line, "Benchmark") {
			r, err := parseResult(line)
			if err != nil {
				complain(i+1, "bad result line %q: %v", line, err)
				continue
			}
			r.config = map[string]string{}
			for k, v := range config {
				r.config[k] = v
			}
			results = append(results, r)
			continue
		}
		if key, val, ok := parseConfig(line); ok {
			if key != "goos" && key != "goarch" && key != "pkg" && key != "cpu" {
				complain(i+1, "unexpected configuration line %q", line)
			}
			config[key] = val
			continue
		}
		switch {
		case line == "PASS" || line == "FAIL":
			verdicts = append(verdicts, config["pkg"]+" "+line)
		case strings.HasPrefix(line, "--- FAIL: "), strings.HasPrefix(line, "--- SKIP: "),
			strings.HasPrefix(line, "--- BENCH: "), strings.HasPrefix(line, "    "):
		default:
			complain(i+1, "line of no known kind: %q", line)
		}
	}

	// Every benchmark with a measurement that passed, or failed by a
	// limit after running, appears once, in its block.
	used := make([]bool, len(results))
	wantVerdict := map[string]string{}
	expected := 0
	for _, rec := range res.Records {
		pkg := pkgOf(&res, binaryOf(rec))
		if _, ok := wantVerdict[pkg]; !ok {
			wantVerdict[pkg] = "PASS"
		}
		if rec.Status == "fail" {
			wantVerdict[pkg] = "FAIL"
		}
		if rec.Kind != "bench" || len(rec.Metrics) == 0 ||
			!(rec.Status == "pass" || rec.Status == "fail" && breached(rec)) {
			continue
		}
		expected++
		name := expectedName(rec)
		found := -1
		for k, r := range results {
			if !used[k] && r.name == name && r.config["pkg"] == pkg {
				found = k
				break
			}
		}
		if found < 0 {
			complain(0, "no result line for %q in pkg %q", name, pkg)
			continue
		}
		used[found] = true
		r := results[found]
		if r.iters != rec.N {
			complain(0, "%s: %d iterations, want %d", name, r.iters, rec.N)
		}
		for _, key := range []string{"goos", "goarch", "cpu"} {
			want := map[string]string{"goos": res.Goos, "goarch": res.Goarch, "cpu": res.Cpu}[key]
			if r.config[key] != want {
				complain(0, "%s: %s is %q, want %q", name, key, r.config[key], want)
			}
		}
		for _, m := range rec.Metrics {
			if m.Value == nil {
				continue
			}
			got, ok := r.values[m.Unit]
			if !ok && (m.Unit == "ns/op" || m.Unit == "MB/s") && *m.Value == 0 {
				continue // Go leaves these out when 0
			}
			if !ok || !near(got, *m.Value) {
				complain(0, "%s: %s is %v (present %v), want %v", name, m.Unit, got, ok, *m.Value)
			}
		}
	}
	if len(results) != expected {
		complain(0, "%d result lines, want %d", len(results), expected)
	}
	if len(verdicts) != len(wantVerdict) {
		complain(0, "%d PASS/FAIL lines, want %d (one per binary)", len(verdicts), len(wantVerdict))
	}
	for _, v := range verdicts {
		sp := strings.LastIndexByte(v, ' ')
		if want := wantVerdict[v[:sp]]; v[sp+1:] != want {
			complain(0, "pkg %q ends in %s, want %s", v[:sp], v[sp+1:], want)
		}
	}
	fmt.Printf("%d result lines checked against %d records\n", len(results), len(res.Records))
	if errors > 0 {
		return 1
	}
	return 0
}
