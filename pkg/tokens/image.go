package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/jpeg"
	"io"
	"math"
	"strings"
)

// ImageKind is how a provider charges an image.
type ImageKind int

// The image charging schemes.
const (
	// ImageTiles is OpenAI's tile rule: "low" detail costs Base; otherwise
	// the image is scaled to fit 2048x2048, then its shortest side to 768,
	// and each 512px tile covering it costs Tile, plus Base.
	ImageTiles ImageKind = iota + 1
	// ImagePatches is OpenAI's patch rule (gpt-4.1-mini and -nano,
	// gpt-5-mini and -nano, o4-mini): one token per 32x32 patch, at most
	// 1536 patches (larger images are scaled down), times Multiplier.
	ImagePatches
	// ImageArea is Anthropic's rule: width*height/750, after scaling the
	// long edge to at most 1568 pixels and the count to at most 1600.
	ImageArea
	// ImageGeminiTiles is Gemini 2's rule: an image with both sides at
	// most 384 pixels costs Tile; a larger one is cut into square crops of
	// its short side / 1.5 (clamped to 256..768), each costing Tile.
	ImageGeminiTiles
	// ImageFlat charges Base per image whatever its size (Gemini 1.5, and
	// Gemini 3's default high media resolution).
	ImageFlat
)

// ImageRule is one model's image charge.
type ImageRule struct {
	Kind       ImageKind
	Base, Tile int
	Multiplier float64
}

// Size is an image's width and height in pixels.
type Size struct{ Width, Height int }

// Limits of the rules, from the providers' documentation.
const (
	tileFit       = 2048
	tileShort     = 768
	tileSide      = 512
	patchSide     = 32
	patchMax      = 1536
	areaDivisor   = 750
	areaLongEdge  = 1568
	areaMaxTokens = 1600
	geminiSmall   = 384
	geminiFit     = 3072
)

// geminiUnknown is what a Gemini 2 image of unknown size is counted as:
// 1024x1024, four crops.
var geminiUnknown = Size{1024, 1024}

// Tokens returns what one image of size sz costs at the given detail
// ("low", "high", "auto" or ""). A zero size means unknown: the rule's
// largest charge where the rule has one, else a 1024x1024 image.
func (r ImageRule) Tokens(sz Size, detail string) int {
	unknown := sz.Width <= 0 || sz.Height <= 0
	switch r.Kind {
	case ImageTiles:
		if detail == "low" {
			return r.Base
		}
		if unknown {
			sz = Size{tileFit, tileShort} // the most tiles a scaled image can need
		}
		w, h := fitTiles(sz)
		return r.Base + r.Tile*ceilDiv(w, tileSide)*ceilDiv(h, tileSide)
	case ImagePatches:
		n := patchMax
		if !unknown {
			n = patches(sz)
		}
		return int(math.Round(float64(n) * r.Multiplier))
	case ImageArea:
		if unknown {
			return areaMaxTokens
		}
		return areaTokens(sz)
	case ImageGeminiTiles:
		if unknown {
			sz = geminiUnknown
		}
		return r.Tile * geminiCrops(sz)
	case ImageFlat:
		return r.Base
	}
	return 0
}

// fitTiles applies the tile rule's two downscales (never upscaling).
func fitTiles(sz Size) (w, h int) {
	fw, fh := float64(sz.Width), float64(sz.Height)
	if s := tileFit / math.Max(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	if s := tileShort / math.Min(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	return int(fw), int(fh)
}

// patches counts 32px patches, scaling an image that needs more than
// patchMax down as OpenAI documents: by sqrt(32²·1536/(w·h)), then
// further so whole patches fit the width or height exactly.
func patches(sz Size) int {
	w, h := float64(sz.Width), float64(sz.Height)
	if n := ceilDiv(sz.Width, patchSide) * ceilDiv(sz.Height, patchSide); n <= patchMax {
		return n
	}
	r := math.Sqrt(patchSide * patchSide * patchMax / (w * h))
	pw, ph := w*r/patchSide, h*r/patchSide
	r *= math.Min(math.Floor(pw)/pw, math.Floor(ph)/ph)
	n := ceilDiv(int(w*r), patchSide) * ceilDiv(int(h*r), patchSide)
	return min(n, patchMax)
}

func areaTokens(sz Size) int {
	w, h := float64(sz.Width), float64(sz.Height)
	if s := areaLongEdge / math.Max(w, h); s < 1 {
		w, h = w*s, h*s
	}
	return min(int(math.Ceil(w*h/areaDivisor)), areaMaxTokens)
}

// geminiCrops counts Gemini 2's crops, after scaling the image to fit
// 3072x3072 (the largest size Google documents processing at).
func geminiCrops(sz Size) int {
	w, h := sz.Width, sz.Height
	if w <= geminiSmall && h <= geminiSmall {
		return 1
	}
	if long := max(w, h); long > geminiFit {
		w, h = max(w*geminiFit/long, 1), max(h*geminiFit/long, 1)
	}
	unit := min(max(min(w, h)*2/3, 256), 768)
	return ceilDiv(w, unit) * ceilDiv(h, unit)
}

// max is the most one image can cost under the rule.
func (r ImageRule) max() int {
	if r.Kind == ImageGeminiTiles {
		return r.Tile * geminiCrops(Size{geminiFit, geminiFit})
	}
	return r.Tokens(Size{}, "high")
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// imageSize reads an image's dimensions from a data: URL, decoding only
// as much base64 as the format's header needs. It returns the zero Size
// for http(s) URLs, unknown formats and corrupt data.
func imageSize(url string) Size {
	const prefix = "data:"
	if !strings.HasPrefix(url, prefix) {
		return Size{}
	}
	comma := strings.IndexByte(url, ',')
	if comma < 0 || !strings.HasSuffix(url[:comma], ";base64") {
		return Size{}
	}
	return base64Size(url[comma+1:])
}

// base64Size reads an image's dimensions from its base64 encoding, as
// imageSize does from a data: URL.
func base64Size(data string) Size {
	// 64 characters of base64 hold the PNG, GIF and WebP headers.
	var head [48]byte
	n, _ := base64.StdEncoding.Decode(head[:], []byte(data[:min(len(data), 64)]))
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")) && len(h) >= 24:
		// The size is the start of IHDR, the first chunk; the decoder
		// would also want a paletted image's palette, which may be cut off.
		return positive(int(binary.BigEndian.Uint32(h[16:])), int(binary.BigEndian.Uint32(h[20:])))
	case bytes.HasPrefix(h, []byte("GIF8")) && len(h) >= 10:
		// The logical screen size follows the 6-byte signature; the
		// decoder would also want the colour table, which may be cut off.
		return positive(int(binary.LittleEndian.Uint16(h[6:])), int(binary.LittleEndian.Uint16(h[8:])))
	case bytes.HasPrefix(h, []byte("RIFF")) && len(h) >= 30 && string(h[8:12]) == "WEBP":
		return webpSize(h)
	case bytes.HasPrefix(h, []byte("\xff\xd8")):
		// JPEG's size comes after its metadata segments, which can be
		// long: stream the decode so only the bytes up to the frame
		// header are decoded.
		dec := base64.NewDecoder(base64.StdEncoding, strings.NewReader(data))
		return config(jpeg.DecodeConfig(io.LimitReader(dec, jpegHeaderMax)))
	}
	return Size{}
}

// jpegHeaderMax bounds how far into a JPEG the frame header is looked for.
const jpegHeaderMax = 1 << 20

func config(c image.Config, err error) Size {
	if err != nil {
		return Size{}
	}
	return positive(c.Width, c.Height)
}

func positive(w, h int) Size {
	if w <= 0 || h <= 0 {
		return Size{}
	}
	return Size{w, h}
}

// webpSize reads the canvas size of a WebP file's first chunk: VP8
// (lossy), VP8L (lossless) or VP8X (extended).
func webpSize(h []byte) Size {
	chunk := string(h[12:16])
	le := binary.LittleEndian
	switch chunk {
	case "VP8 ":
		if h[23] != 0x9d || h[24] != 0x01 || h[25] != 0x2a {
			return Size{}
		}
		return positive(int(le.Uint16(h[26:])&0x3fff), int(le.Uint16(h[28:])&0x3fff))
	case "VP8L":
		if h[20] != 0x2f {
			return Size{}
		}
		b := le.Uint32(h[21:])
		return Size{int(b&0x3fff) + 1, int(b>>14&0x3fff) + 1}
	case "VP8X":
		w := int(h[24]) | int(h[25])<<8 | int(h[26])<<16
		hh := int(h[27]) | int(h[28])<<8 | int(h[29])<<16
		return Size{w + 1, hh + 1}
	}
	return Size{}
}
