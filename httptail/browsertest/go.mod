module github.com/streamsink/streamsink/httptail/browsertest

go 1.26

replace github.com/streamsink/streamsink => ../..

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/streamsink/streamsink v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
