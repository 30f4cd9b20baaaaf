package server_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// samplePNG is a small real picture, so the preview can draw it.
func samplePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 24))
	for x := range 40 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{R: uint8(x * 6), G: 120, B: uint8(y * 10), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserTemplateImageSample is a media header's main flow in Chromium:
// the administrator writes an IMAGE-header template and chooses a PDF as its
// sample (refused as typed, and by the server on save with the form kept),
// then a PNG, which the preview shows; saving uploads it to the sandbox's
// fake of Meta through Meta's Resumable Upload API and keeps the handle; the
// template is submitted, the operator forwards it, the sandbox approves it,
// and the file Meta reviewed is the one chosen.
func TestBrowserTemplateImageSample(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	templateNumber(t, app, 5)
	dir := t.TempDir()
	picture := samplePNG(t)
	pngPath, pdfPath := filepath.Join(dir, "parcel.png"), filepath.Join(dir, "leaflet.pdf")
	if err := os.WriteFile(pngPath, picture, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdfPath, []byte("%PDF-1.4\n% a leaflet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do, eval := templateBrowser(t, app)
	signIn := func(email, landing string) chromedp.Action[chromedp.Void] { return signInAs(app, email, landing) }
	signOut := signOutSteps()

	do("write an image-header template",
		signIn(app.F.A.Admin.Email, `[data-testid=admin-home]`),
		chromedp.Navigate(app.URL+"/admin/templates/new"),
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)),
		setField(`#f-use_case`, "shipping_update"),
		setField(`#f-name`, "parcel_photo"),
		setField(`#f-language`, "en_US"),
		setField(`#f-header_kind`, "IMAGE"),
		setField(`#f-body`, "Your parcel {{1}} is on its way."),
		chromedp.WaitVisible(chromedp.CSS(`#f-body_example_1`)),
		setField(`#f-body_example_1`, "A-1001"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-sample]`)))
	if got := eval(`document.querySelector("#f-header_sample").accept`); got != "image/jpeg,image/png" {
		t.Fatalf("accept for an image header: %q", got)
	}
	do("a PDF is refused as it is chosen",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=template-sample]`), []string{pdfPath}),
		chromedp.WaitVisible(chromedp.CSS(`[data-live-error=header_sample]:not([hidden])`)))
	if got := eval(`document.querySelector("[data-live-error=header_sample]").textContent`); !strings.Contains(got, "JPEG or PNG") {
		t.Fatalf("live error for a PDF: %q", got)
	}
	do("and by the server on save, the form kept",
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-header_sample]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)))
	if got := eval(`document.querySelector("[data-testid=error-header_sample]").textContent`); !strings.Contains(got, "JPEG or PNG") {
		t.Fatalf("server error for a PDF: %q", got)
	}
	if got := eval(`[document.querySelector("#f-header_kind").value, document.querySelector("#f-name").value, document.querySelector("#f-body").value, document.querySelector("#f-body_example_1").value].join("|")`); got != "IMAGE|parcel_photo|Your parcel {{1}} is on its way.|A-1001" {
		t.Fatalf("kept after the refusal: %q", got)
	}
	do("a PNG shows in the preview",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=template-sample]`), []string{pngPath}),
		chromedp.WaitVisible(chromedp.CSS(`img[data-testid=preview-sample]`)))
	if got := eval(`document.querySelector("img[data-testid=preview-sample]").src.slice(0, 5) + "|" + document.querySelector("[data-live-error=header_sample]").hidden`); got != "blob:|true" {
		t.Fatalf("preview of the sample: %q", got)
	}
	if got := eval(`String(document.querySelector("img[data-testid=preview-sample]").naturalWidth)`); got != "40" {
		t.Errorf("the preview's picture is %s pixels wide", got)
	}
	do("save: the sample goes to Meta, its handle stays",
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sample-on-file]`)))
	handle := eval(`document.querySelector("#f-header_handle").value`)
	if !strings.HasPrefix(handle, "4::") {
		t.Fatalf("handle kept: %q", handle)
	}
	data, fileType, name, err := app.Sandbox.Fake.SampleFile(handle)
	if err != nil || !bytes.Equal(data, picture) || fileType != "image/png" || name != "parcel.png" {
		t.Fatalf("Meta has %d bytes, %q %q, %v", len(data), fileType, name, err)
	}
	do("submit",
		chromedp.Click(chromedp.CSS(`[data-testid=template-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-state].tpl-submitted`)))

	do("the operator forwards it to the sandbox",
		signOut,
		signIn(app.F.Operator.Email, `[data-testid=nav-templates]`),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-templates]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=queue-row][data-name=parcel_photo]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=queue-row][data-name=parcel_photo] [data-testid=forward]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=queue-empty]`)))

	do("the administrator's list", signOut, signIn(app.F.A.Admin.Email, `[data-testid=admin-home]`))
	deadline := time.Now().Add(20 * time.Second)
	for {
		do("reload the list", chromedp.Navigate(app.URL+"/admin/templates"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-list]`)))
		states := eval(`Array.from(document.querySelectorAll("[data-testid=template-row]")).map(r => r.dataset.name + "=" + r.dataset.state).join(",")`)
		if states == "parcel_photo=approved" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states after forwarding: %s\nserver log:\n%s", states, logTail(app.Logs.String()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	ts, err := app.DB.Store.ListTemplates(context.Background(), app.F.A.ID, mustNumber(t, app).WABAID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Status != "APPROVED" || !strings.Contains(string(ts[0].Components), handle) {
		t.Fatalf("catalog: %+v", ts)
	}
}

// TestTemplateSampleRefusals: over HTTP, a sample too large for its header,
// one of the wrong kind, and a media header with neither file nor handle
// are refused beside the file with the form kept and nothing stored or
// uploaded; a live number whose Meta app has no App ID cannot upload (and
// says so); a handle pasted by hand that Meta never issued goes back to the
// administrator with Meta's words when forwarded.
func TestTemplateSampleRefusals(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n := templateNumber(t, app, 10)
	bg, actor := context.Background(), storage.Actor{Email: "test"}
	plan, err := app.DB.Store.PlanByName(bg, "Starter")
	if err != nil {
		t.Fatal(err)
	}
	plan.MaxNumbers = 5
	if _, err := app.DB.Store.SavePlan(bg, actor, plan); err != nil {
		t.Fatal(err)
	}
	live, err := app.Numbers.Add(bg, actor, number.AddInput{TenantID: app.F.A.ID, PhoneNumberID: "100000000007777",
		DisplayPhone: "+39 02 1234 7777", WABAID: "200000000007777", AccessToken: "EAAlive-token"})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/templates/new")
	form := func(numberID, kind string) url.Values {
		v := templateValues(numberID, "with_media")
		v.Set("header_kind", kind)
		return v
	}
	pngHead := samplePNG(t)
	cases := []struct {
		what, kind, filename, contentType string
		data                              []byte
		want                              string
	}{
		{"image over 5 MB", "IMAGE", "big.png", "image/png", append(append([]byte{}, pngHead...), make([]byte, 5<<20)...), "at most 5 MB"},
		{"a PNG for a video", "VIDEO", "still.png", "image/png", pngHead, "MP4"},
		{"a JPEG name on a PDF", "IMAGE", "photo.jpg", "image/jpeg", []byte("%PDF-1.4\n"), "JPEG or PNG"},
		{"text as a document", "DOCUMENT", "notes.pdf", "application/pdf", []byte("just some words"), "PDF"},
		{"an empty file", "DOCUMENT", "empty.pdf", "application/pdf", nil, "empty"},
	}
	for _, c := range cases {
		r := admin.PostFile("/admin/templates", form(n.ID, c.kind), "header_sample", c.filename, c.contentType, c.data)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=error-header_sample]"), c.want) {
			t.Errorf("%s: %d %q", c.what, r.Status, r.Text("[data-testid=error-header_sample]"))
		}
		if got := r.Doc.Find("#f-body").Text(); got != form(n.ID, c.kind).Get("body") {
			t.Errorf("%s: body not kept: %q", c.what, got)
		}
	}
	r := admin.Post("/admin/templates", form(n.ID, "IMAGE"))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=error-header_sample]"), "Choose a sample file") {
		t.Errorf("neither file nor handle: %d %q", r.Status, r.Text("[data-testid=error-header_sample]"))
	}
	r = admin.PostFile("/admin/templates", form(live.ID, "IMAGE"), "header_sample", "p.png", "image/png", pngHead)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=error-header_sample]"), "no App ID") {
		t.Errorf("live number without App ID: %d %q", r.Status, r.Text("[data-testid=error-header_sample]"))
	}
	if list, _ := app.DB.Store.ListAdminTemplates(bg, app.F.A.ID); len(list) != 0 {
		t.Fatalf("refused forms stored %d templates", len(list))
	}

	// A handle pasted by hand, never issued by Meta: saved (it looks like
	// one), and refused with Meta's words when forwarded.
	v := form(n.ID, "IMAGE")
	v.Set("header_handle", "4::aW1hZ2UvcG5n:ARmadeup")
	r = admin.Post("/admin/templates", v)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("pasted handle: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	id := strings.TrimPrefix(r.Location, "/admin/templates/")
	admin.Get("/admin/templates/" + id)
	if r := admin.Post("/admin/templates/"+id+"/submit", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	op.Get("/operator/templates")
	if r := op.Post("/operator/templates/"+id+"/forward", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("forward: %d", r.Status)
	}
	if got := admin.Get("/admin/templates/" + id).Text("[data-testid=template-reason]"); !strings.Contains(got, "Uploaded Media Handle Is Invalid") {
		t.Errorf("Meta's refusal of a made-up handle: %q", got)
	}
}
