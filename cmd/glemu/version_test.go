package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionPrintsEveryFormat(t *testing.T) {
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"version"})
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"glemu ", "network format   2", "image format     1", "protocol         1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("glemu version output lacks %q:\n%s", want, out.String())
		}
	}
}
