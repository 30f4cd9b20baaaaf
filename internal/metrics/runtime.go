package metrics

import "runtime/metrics"

// RuntimeValue reads one runtime/metrics value (e.g.
// "/memory/classes/heap/objects:bytes") as a float, 0 when the runtime does
// not know it. It does not stop the world, so scraping it during a
// benchmark does not disturb what is measured.
func RuntimeValue(key string) float64 {
	s := []metrics.Sample{{Name: key}}
	metrics.Read(s)
	switch s[0].Value.Kind() {
	case metrics.KindUint64:
		return float64(s[0].Value.Uint64())
	case metrics.KindFloat64:
		return s[0].Value.Float64()
	}
	return 0
}
