package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/glemu/glemu/host"
)

type boardFlags struct {
	usb     string
	count   int
	timeout time.Duration
}

func init() {
	var f boardFlags
	board := &cobra.Command{
		Use:   "board",
		Short: "List and check boards on serial ports",
		Long: `board lists the serial ports a board may answer on and checks one with the host
protocol (docs/protocol.md). Boards are identified by their HELLO, not by their port.`,
	}
	list := &cobra.Command{
		Use:   "list [--usb VID:PID,...]",
		Short: "List serial ports behind known USB–UART bridges",
		Long: `list prints the serial ports behind a known USB–UART bridge (FTDI, Silicon Labs,
WCH by default; --usb replaces the list). Pseudo-terminals, such as the firmware
simulator's, are never listed: give their path to ping or --device.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listBoards(cmd, f) },
	}
	list.Flags().StringVar(&f.usb, "usb", "", "USB VID:PID pairs of the bridges to look for, in hexadecimal, comma-separated (default: "+bridgeList(host.DefaultBridges)+")")
	ping := &cobra.Command{
		Use:   "ping DEVICE",
		Short: "Say HELLO to a board, print what it is and time a few round trips",
		Long: `ping opens DEVICE (serial:///dev/ttyUSB0?baud=3000000, or a path such as the
firmware simulator's /dev/pts/3), says HELLO, prints the board's firmware, chip and
limits, and times --count round trips.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("ping takes one device, such as serial:///dev/ttyUSB0 or /dev/pts/3; got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return pingBoard(cmd, args[0], f) },
	}
	ping.Flags().IntVar(&f.count, "count", 4, "round trips to time")
	ping.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
	board.AddCommand(list, ping)
	rootCmd.AddCommand(board)
}

func bridgeList(ids []host.USBID) string {
	var s []string
	for _, id := range ids {
		s = append(s, id.String())
	}
	return strings.Join(s, ",")
}

func listBoards(cmd *cobra.Command, f boardFlags) error {
	var ids []host.USBID
	for s := range strings.SplitSeq(f.usb, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := host.ParseUSBID(s)
		if err != nil {
			return usagef("--usb: %v", err)
		}
		ids = append(ids, id)
	}
	cands, err := host.ListBoards(ids...)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(cands) == 0 {
		if ids == nil {
			ids = host.DefaultBridges
		}
		fmt.Fprintf(out, "no serial port behind a known USB bridge (%s); a firmware simulator's pty is not listed: give its path\n", bridgeList(ids))
		return nil
	}
	for _, c := range cands {
		fmt.Fprintln(out, c)
	}
	return nil
}

func pingBoard(cmd *cobra.Command, name string, f boardFlags) error {
	if f.count < 1 {
		return usagef("--count %d: time at least 1 round trip", f.count)
	}
	ctx, cancel := context.WithTimeout(cmdContext(cmd), f.timeout)
	defer cancel()
	start := time.Now()
	d, err := host.Open(ctx, name)
	if err != nil {
		return err
	}
	defer d.Close()
	hello := time.Since(start)
	info := d.Info()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s: %s\n", name, info.Firmware)
	if info.Chip != nil {
		fmt.Fprintf(out, "chip:   %v\n", *info.Chip)
	}
	if info.Backend == "serial" {
		fmt.Fprintf(out, "limits: %d-byte payloads, %d-byte receive buffer of %d frames, images up to %d bytes, staging up to %d bytes\n",
			info.MaxPayload, info.RxBuffer, info.Window, info.MaxImage, info.MaxStage)
	}
	var rtts []time.Duration
	for range f.count {
		t := time.Now()
		if err := d.Ping(ctx); err != nil {
			return err
		}
		rtts = append(rtts, time.Since(t))
	}
	slices.Sort(rtts)
	fmt.Fprintf(out, "HELLO in %v; %d round trips: min %v, median %v, max %v\n", round(hello), len(rtts), round(rtts[0]), round(rtts[len(rtts)/2]), round(rtts[len(rtts)-1]))
	return nil
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// cmdContext is the command's context, or Background when it has none.
func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
