package standin

import (
	"net"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// startDNS serves DNS on 127.0.0.1 over UDP and answers every question
// with NXDOMAIN (RFC 1035 RCODE 3, "Name Error"), as a resolver does for a
// name that does not exist. Go's own resolver then reports a *net.DNSError
// with IsNotFound, the same error a mistyped vault name gives.
// Each question it reads is counted in queries.
func startDNS(queries *atomic.Int64) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			queries.Add(1)
			if answer, ok := nxdomain(buf[:n]); ok {
				_, _ = pc.WriteTo(answer, addr) // a lost answer is a lost UDP packet: the resolver retries
			}
		}
	}()
	return pc, nil
}

// nxdomain builds the NXDOMAIN answer to query.
func nxdomain(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: dnsmessage.RCodeNameError})
	if b.StartQuestions() != nil || b.Question(q) != nil {
		return nil, false
	}
	answer, err := b.Finish()
	return answer, err == nil
}
