module github.com/streamsink/streamsink/decodetest

go 1.26

replace github.com/streamsink/streamsink => ../

require (
	github.com/go-viper/mapstructure/v2 v2.5.0
	github.com/streamsink/streamsink v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)
