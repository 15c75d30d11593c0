package httptail

// OnLeave makes h call f each time a client has ended: its stream closed,
// its handler about to return.
func OnLeave(h *Hub, f func()) { h.onLeave = f }
