package applefake_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

// The Apps and Books client talking to the fake over 127.0.0.1: mark the token as
// ours, read the assets, license two devices, and read the outcome.
func Example_client() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	core := applefake.NewCore(applefake.Config{})
	loc := core.AddLocation("Example School")
	sToken, _ := core.IssueToken(loc, now.AddDate(1, 0, 0))
	_ = core.AddAsset(loc, applefake.AssetSpec{AdamID: "408709785", ProductType: apple.ProductApp,
		DeviceAssignable: true, Revocable: true, SupportedPlatforms: []string{"iOS"}, Total: 10})

	clk := clock.NewMock()
	clk.Set(now)
	srv := httptest.NewServer(applefake.NewHandler(core, applefake.WithClock(clk)))
	defer srv.Close()

	me := apple.MdmInfo{ID: "mdmkit-1", Name: "mdmkit"}
	client, err := apple.New(sToken, apple.WithBaseURL(srv.URL+"/mdm/v2"), apple.WithMdmInfo(me), apple.WithClock(clk))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if _, err := client.SetClientConfig(ctx, apple.ClientConfigRequest{MdmInfo: &me}); err != nil {
		fmt.Println(err)
		return
	}
	events, err := client.Associate(ctx, apple.ManageAssetsRequest{
		Assets:        []apple.Asset{{AdamID: "408709785"}},
		SerialNumbers: []string{"C02XK1", "C02XK2"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	status, _ := client.EventStatus(ctx, events[0].EventID)
	fmt.Println(status.EventType, status.EventStatus, status.NumCompleted, "of", status.NumRequested)

	assets, _ := client.Assets(ctx, apple.AssetsQuery{})
	for _, a := range assets.Items {
		fmt.Printf("%s %s: %d assigned, %d available of %d\n", a.ProductType, a.AdamID, a.AssignedCount, a.AvailableCount, a.TotalCount)
	}
	fmt.Println("token printed:", strings.Contains(fmt.Sprintf("%+v", client), sToken))
	// Output:
	// ASSOCIATE COMPLETE 2 of 2
	// App 408709785: 2 assigned, 8 available of 10
	// token printed: false
}
