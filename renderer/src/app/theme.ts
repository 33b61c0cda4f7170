import { createTheme, Modal, Notification } from '@mantine/core'

export const theme = createTheme({
  primaryColor: 'indigo',
  // WCAG AA for text on filled buttons and badges: shade 7 takes white text at 4.5:1, and
  // autoContrast picks black or white for every other colour at the luminance where both reach 4.5:1.
  primaryShade: { light: 7, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.179,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  components: {
    // A toast's close button is an icon only: give it a name screen readers can say.
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } } }),
    // A dialog's close button too (axe button-name); a dialog may still name it more precisely.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
})
