package main

import "math"

// priors are the signal weights (in logits) the calibration starts from
// and is pulled towards. A signal the training data never shows (a
// delimiter, tag characters) keeps its prior; one the data shows often
// moves to what the data says.
var priors = map[string]float64{
	"override_phrase":    5,
	"context_reset":      2.5,
	"new_instructions":   1.5,
	"roleplay_jailbreak": 3.5,
	"prompt_extraction":  4,
	"delimiter":          4,
	"base64_payload":     2,
	"hex_payload":        2,
	"zero_width":         2,
	"unicode_tags":       6,
	"homoglyph":          2,
}

// calibration is the combiner: Score = sigmoid(bias + scale*z + sum of
// the weights of the signals that fired), with scaleLong in place of
// scale for a long text.
type calibration struct {
	scale, scaleLong, bias float64
	signals                []float64
}

func (c *calibration) logit(z float64, long bool, sigs []bool) float64 {
	scale := c.scale
	if long {
		scale = c.scaleLong
	}
	l := c.bias + scale*z
	for k, on := range sigs {
		if on {
			l += c.signals[k]
		}
	}
	return l
}

// priorStrength is the weight of the priors, in examples' worth of log
// loss: enough to keep a rare signal near its prior, little enough that a
// signal seen dozens of times follows the data.
const priorStrength = 4.0

// calibrate fits the combiner to out-of-fold model logits z, the signals,
// labels y and example weights w by Newton's method on the penalised log loss. The model
// scales are pulled towards 1 and each signal towards its prior.
func calibrate(z []float64, long []bool, sigs [][]bool, y, w []float64, names []string) calibration {
	k := len(names)
	dim := k + 3 // scale, bias, signals, scaleLong
	prior := make([]float64, dim)
	prior[0], prior[k+2] = 1, 1
	for i, n := range names {
		prior[i+2] = priors[n]
	}
	theta := append([]float64(nil), prior...)
	x := make([]float64, dim)
	for range 50 {
		grad := make([]float64, dim)
		hess := make([][]float64, dim)
		for i := range hess {
			hess[i] = make([]float64, dim)
		}
		for i := range z {
			features(x, z[i], long[i], sigs[i])
			l := 0.0
			for j := range x {
				l += theta[j] * x[j]
			}
			p := sigmoid(l)
			for a := range x {
				grad[a] += w[i] * (p - y[i]) * x[a]
				for b := range x {
					hess[a][b] += w[i] * p * (1 - p) * x[a] * x[b]
				}
			}
		}
		for a := range dim {
			strength := priorStrength
			if a == 1 {
				strength = 1e-3 // the bias is free
			}
			grad[a] += strength * (theta[a] - prior[a])
			hess[a][a] += strength
		}
		step := solve(hess, grad)
		for a := range theta {
			theta[a] -= step[a]
		}
	}
	return calibration{scale: theta[0], bias: theta[1], signals: theta[2 : k+2], scaleLong: theta[k+2]}
}

func features(x []float64, z float64, long bool, sigs []bool) {
	x[0], x[1], x[len(x)-1] = z, 1, 0
	if long {
		x[0], x[len(x)-1] = 0, z
	}
	for k, on := range sigs {
		x[k+2] = 0
		if on {
			x[k+2] = 1
		}
	}
}

// solve returns the solution of a x = b by Gaussian elimination with
// partial pivoting; a is positive definite here.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for j := c; j <= n; j++ {
				m[r][j] -= f * m[c][j]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for j := r + 1; j < n; j++ {
			s -= m[r][j] * x[j]
		}
		x[r] = s / m[r][r]
	}
	return x
}
