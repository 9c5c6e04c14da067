package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn on the server as inline SVG: pictures that print, need
// no JavaScript and no library, and show each value on hover through
// <title>. Every text that comes from data is escaped here, which is what
// makes returning template.HTML safe.

// chartSeries is one named, coloured set of values, one per x label. NaN
// is "no value" (a day without bridged calls has no median).
type chartSeries struct {
	Name   string
	Color  string
	Values []float64
}

// chart geometry, in SVG user units (the SVG scales to its container, so
// a half-width chart uses a narrower box to keep its text readable).
const (
	chartW      = 760 // a chart across the page
	chartHalfW  = 400 // a chart in a half-width card
	chartH      = 240
	chartLeft   = 64
	chartRight  = 12
	chartTop    = 12
	chartBottom = 40
)

func esc(s string) string { return template.HTMLEscapeString(s) }

// niceMax is the top of an axis with four steps of 1, 2, 2.5 or 5 × 10^n
// so the ticks are round numbers; whole steps when counting.
func niceMax(v float64, whole bool) float64 {
	if v <= 0 || math.IsNaN(v) {
		v = 1
	}
	raw := v / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*p {
			step = m * p
			break
		}
	}
	if whole && step < 1 {
		step = 1
	}
	if whole && step != math.Floor(step) {
		step = math.Ceil(step)
	}
	return 4 * step
}

// svgOpen starts a chart with its accessible description.
func svgOpen(b *strings.Builder, id, desc string, w, h int) {
	fmt.Fprintf(b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), w, h, esc(desc))
	fmt.Fprintf(b, `<title>%s</title>`, esc(desc))
}

// yAxis draws horizontal grid lines and their labels from 0 to max.
func yAxis(b *strings.Builder, w int, max float64, format func(float64) string) {
	plotH := float64(chartH - chartTop - chartBottom)
	for i := 0; i <= 4; i++ {
		v := max * float64(i) / 4
		y := float64(chartTop) + plotH - plotH*float64(i)/4
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, w-chartRight, y, y)
		fmt.Fprintf(b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(format(v)))
	}
}

// xLabels writes at most about 12 labels under the plot, evenly spaced.
func xLabels(b *strings.Builder, labels []string, slot float64, most int) {
	step := int(math.Ceil(float64(len(labels)) / float64(most)))
	if step < 1 {
		step = 1
	}
	for i := 0; i < len(labels); i += step {
		x := float64(chartLeft) + slot*(float64(i)+0.5)
		fmt.Fprintf(b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, chartH-chartBottom+16, esc(labels[i]))
	}
}

func legend(series []chartSeries) string {
	var l strings.Builder
	l.WriteString(`<ul class="legend">`)
	for _, s := range series {
		fmt.Fprintf(&l, `<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="%s"/></svg>%s</li>`, esc(s.Color), esc(s.Name))
	}
	l.WriteString(`</ul>`)
	return l.String()
}

// stackedBars draws one vertical bar per label, its series stacked.
func stackedBars(id, desc string, labels []string, series []chartSeries, format func(float64) string) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, desc, chartW, chartH)
	max := 0.0
	for i := range labels {
		sum := 0.0
		for _, s := range series {
			sum += s.Values[i]
		}
		max = math.Max(max, sum)
	}
	max = niceMax(max, true)
	yAxis(&b, chartW, max, format)
	plotH := float64(chartH - chartTop - chartBottom)
	slot := float64(chartW-chartLeft-chartRight) / math.Max(1, float64(len(labels)))
	barW := math.Max(1, slot*0.72)
	for i, label := range labels {
		y := float64(chartTop) + plotH
		x := float64(chartLeft) + slot*float64(i) + (slot-barW)/2
		var tip []string
		for _, s := range series {
			tip = append(tip, s.Name+" : "+format(s.Values[i]))
		}
		fmt.Fprintf(&b, `<g><title>%s — %s</title>`, esc(label), esc(strings.Join(tip, ", ")))
		for _, s := range series {
			h := plotH * s.Values[i] / max
			y -= h
			if h > 0 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, barW, h, esc(s.Color))
			}
		}
		b.WriteString(`</g>`)
	}
	xLabels(&b, labels, slot, 12)
	b.WriteString(`</svg>`)
	b.WriteString(legend(series))
	return template.HTML(b.String())
}

// lineChart draws one polyline per series; NaN values break the line.
func lineChart(id, desc string, labels []string, series []chartSeries, max float64, format func(float64) string) template.HTML {
	const w = chartHalfW
	var b strings.Builder
	svgOpen(&b, id, desc, w, chartH)
	if max <= 0 {
		for _, s := range series {
			for _, v := range s.Values {
				if !math.IsNaN(v) {
					max = math.Max(max, v)
				}
			}
		}
		max = niceMax(max, false)
	}
	yAxis(&b, w, max, format)
	plotH := float64(chartH - chartTop - chartBottom)
	slot := float64(w-chartLeft-chartRight) / math.Max(1, float64(len(labels)))
	for _, s := range series {
		var path strings.Builder
		pen := false
		for i, v := range s.Values {
			if math.IsNaN(v) {
				pen = false
				continue
			}
			x := float64(chartLeft) + slot*(float64(i)+0.5)
			y := float64(chartTop) + plotH - plotH*math.Min(v, max)/max
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x, y)
			pen = true
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s — %s : %s</title></circle>`,
				x, y, esc(s.Color), esc(labels[i]), esc(s.Name), esc(format(v)))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`,
			strings.TrimSpace(path.String()), esc(s.Color))
	}
	xLabels(&b, labels, slot, 6)
	b.WriteString(`</svg>`)
	b.WriteString(legend(series))
	return template.HTML(b.String())
}

// horizontalStacked draws one horizontal bar per row (e.g. a specialty),
// its series stacked, each bar's total written at its end.
func horizontalStacked(id, desc string, rows []string, series []chartSeries) template.HTML {
	var b strings.Builder
	const left, rowH, barH = 150, 34, 20
	h := chartTop + rowH*len(rows) + 8
	svgOpen(&b, id, desc, chartW, h)
	max := 0.0
	for i := range rows {
		sum := 0.0
		for _, s := range series {
			sum += s.Values[i]
		}
		max = math.Max(max, sum)
	}
	max = math.Max(max, 1)
	plotW := float64(chartW - left - 60)
	for i, row := range rows {
		y := float64(chartTop + rowH*i)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-8, y+barH/2+4, esc(row))
		x, total := float64(left), 0.0
		for _, s := range series {
			w := plotW * s.Values[i] / max
			if w > 0 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"><title>%s — %s : %s</title></rect>`,
					x, y, w, barH, esc(s.Color), esc(row), esc(s.Name), esc(frNumber(s.Values[i])))
			}
			x += w
			total += s.Values[i]
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.1f">%s</text>`, x+6, y+barH/2+4, esc(frNumber(total)))
	}
	b.WriteString(`</svg>`)
	b.WriteString(legend(series))
	return template.HTML(b.String())
}

// heatmap draws rows × columns cells shaded by value (darker: more).
func heatmap(id, desc string, rows, cols []string, values [][]float64, format func(float64) string) template.HTML {
	var b strings.Builder
	const left, top, cellH = 80, 22, 26
	cellW := float64(chartW-left-chartRight) / float64(len(cols))
	h := top + cellH*len(rows) + 4
	svgOpen(&b, id, desc, chartW, h)
	max := 0.0
	for _, r := range values {
		for _, v := range r {
			max = math.Max(max, v)
		}
	}
	for j, c := range cols {
		if j%2 == 0 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
				float64(left)+cellW*(float64(j)+0.5), top-8, esc(c))
		}
	}
	for i, r := range rows {
		y := top + cellH*i
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+cellH/2+4, esc(r))
		for j := range cols {
			v := values[i][j]
			fill, opacity := "#eef2f5", 1.0 // no call: a pale cell, so the grid stays visible
			if v > 0 && max > 0 {
				fill, opacity = "#0b5563", 0.12+0.88*v/max
			}
			fmt.Fprintf(&b, `<rect class="cell" x="%.1f" y="%d" width="%.1f" height="%d" rx="2" fill="%s" fill-opacity="%.2f"><title>%s %s : %s</title></rect>`,
				float64(left)+cellW*float64(j)+1, y+1, cellW-2, cellH-2, fill, opacity, esc(r), esc(cols[j]), esc(format(v)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// frNumber writes a count the French way: "12 345".
func frNumber(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + frNumber(-v)
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, "\u202f"...)
		}
		out = append(out, s[i])
	}
	return string(out)
}

// frPercent is "87 %" (v in 0..1).
func frPercent(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%d\u202f%%", int(math.Round(v*100)))
}

// frSeconds is a duration in seconds as "45 s" or "2 min 05".
func frSeconds(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := int(math.Round(v))
	if s < 60 {
		return fmt.Sprintf("%d\u202fs", s)
	}
	return fmt.Sprintf("%d\u202fmin\u202f%02d", s/60, s%60)
}
