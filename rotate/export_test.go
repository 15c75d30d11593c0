package rotate

// RenameWithoutExchange makes f rotate as it does where files cannot be
// swapped atomically, to measure the difference.
func RenameWithoutExchange(f *File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noExchange = true
}
