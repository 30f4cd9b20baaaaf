package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestSimulatedPhotoTravelsAsMetaWould: the customer sends a photo from the
// simulator; Switchboard receives the webhook, fetches the file from the
// sandbox's Graph API with the number's token, checks its sha256 and serves
// it to the tenant's users only.
func TestSimulatedPhotoTravelsAsMetaWould(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	ctx := context.Background()
	n, err := app.Numbers.Add(ctx, storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	b.Get("/simulator/" + n.ID + "/?customer=393337778888")
	photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), []byte(strings.Repeat("pixels", 100))...)
	r := b.PostFile("/simulator/"+n.ID+"/send", url.Values{"customer": {"393337778888"}, "name": {"Marta"}, "kind": {"file"}, "text": {"lo scontrino"}},
		"file", "scontrino.jpg", "image/jpeg", photo)
	if r.Status != http.StatusSeeOther || strings.Contains(r.Location, "error=") {
		t.Fatalf("upload: %d %s", r.Status, r.Location)
	}
	var mediaID string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && mediaID == ""; time.Sleep(50 * time.Millisecond) {
		convs, _ := app.DB.Store.ListConversations(ctx, n.TenantID, storage.ConversationFilter{}, storage.Page{Limit: 1})
		if len(convs) == 0 {
			continue
		}
		msgs, _ := app.DB.Store.ListMessages(ctx, n.TenantID, convs[0].ID, storage.Page{Limit: 10})
		if len(msgs) == 1 && msgs[0].Media != nil && msgs[0].Media.State == "stored" {
			if msgs[0].Type != "image" || msgs[0].Text != "lo scontrino" {
				t.Fatalf("message: %+v", msgs[0])
			}
			mediaID = msgs[0].Media.ID
		}
	}
	if mediaID == "" {
		t.Fatalf("the photo was never fetched:\n%s", tail(app.Logs.String()))
	}
	res := b.Get("/media/" + mediaID)
	if res.Status != 200 || res.Body != string(photo) || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the tenant's user gets %d %q", res.Status, res.Header.Get("Content-Type"))
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if r := other.Get("/media/" + mediaID); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant gets the photo: %d", r.Status)
	}
	// The sandbox's own control API is not reachable from outside.
	resp, err := http.Get(app.URL + "/sandbox/graph/_fake/stats")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/sandbox/graph/_fake/ answers %d", resp.StatusCode)
	}
}
