package infra

import "fmt"

// Weights is the traffic split of the listener, in percent; Blue + Green == 100.
type Weights struct {
	Blue  int `json:"blue"`
	Green int `json:"green"`
}

// WeightsFor derives the split from webapi:greenWeight, the one place weights live.
func WeightsFor(greenWeight int) Weights {
	return Weights{Blue: 100 - greenWeight, Green: greenWeight}
}

// Of returns the weight of one colour.
func (w Weights) Of(c Color) int {
	if c == Green {
		return w.Green
	}
	return w.Blue
}

// GreenWeightFor returns the webapi:greenWeight that gives colour c the weight percent.
func GreenWeightFor(c Color, percent int) (int, error) {
	if percent < 0 || percent > 100 {
		return 0, fmt.Errorf("weight %d%% for %s: want 0 to 100", percent, c)
	}
	if c == Green {
		return percent, nil
	}
	return 100 - percent, nil
}

func (w Weights) String() string { return fmt.Sprintf("blue %d%% / green %d%%", w.Blue, w.Green) }
