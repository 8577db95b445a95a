package mdm

import "time"

func minutes(m int) time.Duration { return time.Duration(m) * time.Minute }
