/** Saves text the engine produced (an export) as a file in the browser's downloads. */
export function downloadText(fileName: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.click()
  URL.revokeObjectURL(url)
}

/** Reads a picked file as text (latin1 keeps X12 bytes as they are). */
export function readFileText(file: File, encoding: 'utf-8' | 'latin1' = 'utf-8'): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result))
    r.onerror = () => reject(r.error ?? new Error('the file could not be read'))
    r.readAsText(file, encoding)
  })
}
