import net from 'node:net'

/** Writes one MLLP frame on a raw socket and resolves with the reply's text (framing stripped). */
export function sendRawFrame(port: number, body: string): Promise<string> {
  return new Promise((res, rej) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(body, 'latin1'), Buffer.from([0x1c, 0x0d])])))
    let got = Buffer.alloc(0)
    s.on('data', (d) => {
      got = Buffer.concat([got, d])
      if (got.includes(0x1c)) {
        s.end()
        res(got.subarray(1, got.indexOf(0x1c)).toString('latin1'))
      }
    })
    s.on('error', rej)
    s.setTimeout(20_000, () => s.destroy(new Error('no reply')))
  })
}
