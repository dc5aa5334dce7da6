//go:build !amd64 || purego

package chip

const hasAdamKernel = false

func adamKernel(a *adamArgs) {
	for i := range a.ok {
		a.ok[i], a.failB[i] = 0, 0
	}
}
