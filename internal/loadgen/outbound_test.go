package loadgen_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"switchboard/internal/loadgen"
	"switchboard/internal/number"
	"switchboard/internal/secrets"
	"switchboard/internal/storage/storagetest"
)

func TestOutboundExperiment(t *testing.T) {
	db := storagetest.NewDB(t)
	box, err := secrets.New([]byte("loadgen-test-secret-key-of-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := strconv.Atoi(os.Getenv("MSGS"))
	rate, _ := strconv.Atoi(os.Getenv("RATE"))
	var progress bytes.Buffer
	res, err := loadgen.Outbound(context.Background(), db.Store, number.NewService(db.Store, box),
		loadgen.OutboundConfig{Messages: msgs, Rate: rate}, &progress)
	t.Log(progress.String())
	var sum bytes.Buffer
	res.WriteSummary(&sum)
	t.Log(sum.String())
	t.Log(res.PerSecond)
	if err != nil {
		t.Fatal(err)
	}
}
