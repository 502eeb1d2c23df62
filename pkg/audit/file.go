package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"gopkg.in/natefinch/lumberjack.v2"
)

// FileOptions configure a FileSink.
type FileOptions struct {
	Path string
	// MaxBytes rotates before the file would grow past it (whole MiB).
	MaxBytes int64
	// RotateEvery rotates a file once its first record is this old.
	RotateEvery time.Duration
	// MaxAge and MaxBackups delete old rotated files; zero keeps them.
	MaxAge     time.Duration
	MaxBackups int
	Compress   bool
}

// FileSink appends records to a file that lumberjack rotates by size,
// and this sink by age. Rotation happens between writes, and every write
// holds whole records, so a record never spans two files.
type FileSink struct {
	l        *lumberjack.Logger
	every    time.Duration
	maxBytes int64
	size     int64
	opened   time.Time
	now      func() time.Time
}

const mib = 1 << 20

// OpenFile opens the audit file for appending and reads where its chain
// ended: last is the last complete record of the file (or of the newest
// rotated file when the current one is empty), nil when there is none;
// skipped is the length of an incomplete line after it, left by a crash.
func OpenFile(o FileOptions) (s *FileSink, last []byte, skipped int, err error) {
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o750); err != nil {
		return nil, nil, 0, fmt.Errorf("audit: %w", err)
	}
	last, skipped, size, first, err := resumePoint(o.Path)
	if err != nil {
		return nil, nil, 0, err
	}
	if skipped > 0 && size > 0 {
		// End the broken line, so the next record starts on its own.
		if err := appendNewline(o.Path); err != nil {
			return nil, nil, 0, err
		}
		size++
	}
	maxMB := max(1, o.MaxBytes/mib)
	s = &FileSink{
		l: &lumberjack.Logger{Filename: o.Path, MaxSize: int(maxMB), MaxBackups: o.MaxBackups,
			MaxAge: int((o.MaxAge + 24*time.Hour - 1) / (24 * time.Hour)), Compress: o.Compress},
		every: o.RotateEvery, maxBytes: maxMB * mib, size: size, now: time.Now,
	}
	s.opened = first
	if first.IsZero() {
		s.opened = s.now()
	}
	return s, last, skipped, nil
}

func appendNewline(path string) error {
	f, err := os.OpenFile(filepath.Clean(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = f.Write([]byte{'\n'})
	return errors.Join(err, f.Close())
}

// Write implements Sink.
func (s *FileSink) Write(lines []byte) error {
	now := s.now()
	if s.every > 0 && s.size > 0 && now.Sub(s.opened) >= s.every {
		if err := s.l.Rotate(); err != nil {
			return fmt.Errorf("audit: rotating: %w", err)
		}
		s.size, s.opened = 0, now
	}
	if s.size+int64(len(lines)) > s.maxBytes {
		// lumberjack rotates before this write; mirror it to know the
		// new file's age.
		s.size, s.opened = 0, now
	}
	n, err := s.l.Write(lines)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Rotate starts a new file now.
func (s *FileSink) Rotate() error {
	s.size, s.opened = 0, s.now()
	return s.l.Rotate()
}

// Close implements Sink.
func (s *FileSink) Close(context.Context) error { return s.l.Close() }

// resumePoint finds the record a restarted writer links to.
func resumePoint(path string) (last []byte, skipped int, size int64, first time.Time, err error) {
	last, skipped, size, err = tail(path)
	if err != nil {
		return nil, 0, 0, time.Time{}, err
	}
	if size > 0 {
		first = firstTime(path)
	}
	if last != nil || skipped > 0 {
		return last, skipped, size, first, nil
	}
	// The current file is new or was just rotated: link to the newest
	// rotated one.
	backups, err := rotated(path)
	if err != nil || len(backups) == 0 {
		return nil, 0, size, first, err
	}
	data, err := readAll(backups[len(backups)-1])
	if err != nil {
		return nil, 0, 0, time.Time{}, err
	}
	last, skipped, _ = lastLine(data)
	return last, skipped, size, first, nil
}

// tail reads the last complete line of the file, reading backwards only
// as far as it needs.
func tail(path string) (last []byte, skipped int, size int64, err error) {
	f, err := os.Open(filepath.Clean(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("audit: %w", err)
	}
	size = st.Size()
	var buf []byte
	for chunk := int64(64 << 10); ; chunk *= 2 {
		off := max(0, size-chunk)
		buf = make([]byte, size-off)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, 0, fmt.Errorf("audit: reading %s: %w", path, err)
		}
		var whole bool
		last, skipped, whole = lastLine(buf)
		if off == 0 || whole {
			return last, skipped, size, nil
		}
	}
}

// lastLine splits data into its last complete line (without newline) and
// the length of an incomplete line after it; whole is false when data may
// start inside that line.
func lastLine(data []byte) (last []byte, skipped int, whole bool) {
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil, len(data), false
	}
	start := bytes.LastIndexByte(data[:end], '\n')
	return slices.Clone(data[start+1 : end]), len(data) - end - 1, start >= 0
}

// firstTime is the time of the file's first record.
func firstTime(path string) time.Time {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(f, buf)
	line, _, _ := bytes.Cut(buf[:n], []byte{'\n'})
	t, err := time.Parse(time.RFC3339Nano, gjson.GetBytes(line, "time").Str)
	if err != nil {
		return time.Time{}
	}
	return t
}

// rotated lists the rotated files of path, oldest first: lumberjack names
// them <name>-<UTC timestamp><ext>[.gz], which sort by time.
func rotated(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, prefix) &&
			(strings.HasSuffix(n, ext) || strings.HasSuffix(n, ext+".gz")) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	slices.Sort(out)
	return out, nil
}

// readAll reads a whole audit file, gunzipping a compressed one.
func readAll(path string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	data, err = io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	return data, nil
}
