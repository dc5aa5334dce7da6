package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/chip/image"
	"github.com/glemu/glemu/host"
	"github.com/glemu/glemu/network"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the versions of glemu and of its file, image and protocol formats",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "glemu            %s (%s, %s/%s)\n", toolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "network format   %d\n", network.FormatVersion)
			fmt.Fprintf(w, "image format     %d\n", image.FormatVersion)
			fmt.Fprintf(w, "protocol         %d\n", host.ProtocolVersion)
			return nil
		},
	})
}
