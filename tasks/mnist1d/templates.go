package mnist1d

// NumClasses is the number of digit classes (labels 0 … 9), one template each.
const NumClasses = 10

// TemplateLength is the number of points in each template.
const TemplateLength = 12

// rawTemplates are the ten digit shapes of MNIST-1D as its authors drew them
// (mnist1d's get_templates, Apache-2.0, Sam Greydanus).
var rawTemplates = [NumClasses][TemplateLength]float64{
	{5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5},
	{5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5},
	{5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5},
	{5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5},
	{5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5},
	{5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5},
	{5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5},
	{5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5},
	{5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5},
	{5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5},
}

// templates returns the normalised templates the generator transforms: each row minus
// its mean, divided by its population standard deviation (which numpy takes of the
// centred row, subtracting that row's tiny mean again), minus its first element,
// divided by 6. Every row starts at exactly 0.
func templates() [NumClasses][TemplateLength]float64 {
	var out [NumClasses][TemplateLength]float64
	var scratch [TemplateLength]float64
	for c, raw := range rawTemplates {
		x := raw
		m := mean(x[:])
		for i := range x {
			x[i] -= m
		}
		s := populationStd(x[:], scratch[:])
		for i := range x {
			x[i] /= s
		}
		first := x[0]
		for i := range x {
			out[c][i] = (x[i] - first) / 6
		}
	}
	return out
}
