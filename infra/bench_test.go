package infra

import "testing"

// Evaluation time of the whole program under mocks, per role:
//
//	go test ./infra -run '^$' -bench Program -benchmem
func BenchmarkProgramEdge(b *testing.B) {
	cfg := blueConfig("greenWeight", "10")
	for i := 0; i < b.N; i++ {
		if r := run(b, "blue", cfg, nil); r.err != nil {
			b.Fatal(r.err)
		}
	}
}

func BenchmarkProgramColor(b *testing.B) {
	edge := edgeOutputsOf(b, "greenWeight", "10")
	cfg := greenConfig()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := run(b, "green", cfg, edge); r.err != nil {
			b.Fatal(r.err)
		}
	}
}
