//go:build !amd64 || purego

package chip

const hasAdamKernel = false

func adamKernel(a *adamArgs) {
	for i := range a.fail {
		a.fail[i], a.failB[i] = 0xff, 0
	}
}
