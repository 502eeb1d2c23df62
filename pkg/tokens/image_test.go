package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Examples from the providers' documentation.
func TestImageRules(t *testing.T) {
	tests := []struct {
		name   string
		rule   ImageRule
		size   Size
		detail string
		want   int
	}{
		{"gpt-4o 1024x1024 high", tiles85, Size{1024, 1024}, "high", 765},
		{"gpt-4o 2048x4096 high", tiles85, Size{2048, 4096}, "high", 1105},
		{"gpt-4o 4096x8192 low", tiles85, Size{4096, 8192}, "low", 85},
		{"gpt-4o 500x500 auto", tiles85, Size{500, 500}, "auto", 255},
		{"gpt-4o 513x500", tiles85, Size{513, 500}, "", 425},
		{"gpt-4o unknown size", tiles85, Size{}, "high", 85 + 8*170},
		{"gpt-4o-mini 1024x1024", tiles4oMn, Size{1024, 1024}, "high", 2833 + 4*5667},
		{"gpt-4o-mini low", tiles4oMn, Size{1024, 1024}, "low", 2833},
		{"gpt-4.1-mini 1024x1024", patchMini, Size{1024, 1024}, "high", 1659},
		{"gpt-4.1-mini 1800x2400", patchMini, Size{1800, 2400}, "high", 2352},
		{"gpt-4.1-nano unknown", patchNano, Size{}, "low", 3779},
		{"claude 200x200", ImageRule{Kind: ImageArea}, Size{200, 200}, "", 54},
		{"claude 1000x1000", ImageRule{Kind: ImageArea}, Size{1000, 1000}, "", 1334},
		{"claude 1092x1092", ImageRule{Kind: ImageArea}, Size{1092, 1092}, "", 1590},
		{"claude 4000x3000 capped", ImageRule{Kind: ImageArea}, Size{4000, 3000}, "", 1600},
		{"gemini-2 384x384", ImageRule{Kind: ImageGeminiTiles, Tile: 258}, Size{384, 384}, "", 258},
		{"gemini-2 1024x1024", ImageRule{Kind: ImageGeminiTiles, Tile: 258}, Size{1024, 1024}, "", 4 * 258},
		{"gemini-2 2048x1362", ImageRule{Kind: ImageGeminiTiles, Tile: 258}, Size{2048, 1362}, "", 6 * 258},
		{"gemini-1.5 any", ImageRule{Kind: ImageFlat, Base: 258}, Size{2048, 1362}, "", 258},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Tokens(tt.size, tt.detail); got != tt.want {
				t.Errorf("Tokens(%v, %q) = %d, want %d", tt.size, tt.detail, got, tt.want)
			}
		})
	}
}

func dataURL(mime string, b []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)
}

func encoded(t testing.TB, format string, w, h int) string {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dataURL("image/"+format, buf.Bytes())
}

// webp builds the first bytes of a WebP file of the given chunk kind.
func webp(kind string, w, h int) string {
	b := []byte("RIFF\x00\x00\x00\x00WEBP" + kind + "\x00\x00\x00\x00")
	switch kind {
	case "VP8 ":
		b = append(b, 0, 0, 0, 0x9d, 0x01, 0x2a)
		b = binary.LittleEndian.AppendUint16(b, uint16(w))
		b = binary.LittleEndian.AppendUint16(b, uint16(h))
	case "VP8L":
		b = append(b, 0x2f)
		b = binary.LittleEndian.AppendUint32(b, uint32(w-1)|uint32(h-1)<<14)
		b = append(b, 0)
	case "VP8X":
		b = append(b, 0, 0, 0, 0, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	}
	return dataURL("image/webp", append(b, make([]byte, 16)...))
}

func TestImageSize(t *testing.T) {
	// A JPEG whose frame header comes after a long metadata segment.
	var long bytes.Buffer
	if err := jpeg.Encode(&long, image.NewGray(image.Rect(0, 0, 33, 17)), nil); err != nil {
		t.Fatal(err)
	}
	app := append([]byte{0xff, 0xe1, 0x80, 0x02}, make([]byte, 0x8000)...)
	withMeta := append(append([]byte{0xff, 0xd8}, app...), long.Bytes()[2:]...)

	tests := []struct {
		name string
		url  string
		want Size
	}{
		{"png", encoded(t, "png", 640, 480), Size{640, 480}},
		{"jpeg", encoded(t, "jpeg", 300, 1200), Size{300, 1200}},
		{"gif", encoded(t, "gif", 31, 7), Size{31, 7}},
		{"jpeg with metadata", dataURL("image/jpeg", withMeta), Size{33, 17}},
		{"webp lossy", webp("VP8 ", 800, 600), Size{800, 600}},
		{"webp lossless", webp("VP8L", 1025, 3), Size{1025, 3}},
		{"webp extended", webp("VP8X", 4000, 3000), Size{4000, 3000}},
		{"http url", "https://example.com/cat.png", Size{}},
		{"not base64", "data:image/png,rawbytes", Size{}},
		{"corrupt", "data:image/png;base64,iVBORw0KGgo=", Size{}},
		{"unknown format", dataURL("image/bmp", []byte("BM........................")), Size{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := imageSize(tt.url); got != tt.want {
				t.Errorf("imageSize = %v, want %v", got, tt.want)
			}
		})
	}
}
