/** 32×32 PNG: the app mark for the tray (kept inline so the shell needs no asset files). */
export const TRAY_ICON_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAWklEQVR42u3XwQkAIAxD0Q7oLG7vWQdQQUtpK/6AR8k7iRHZpNTWLY+cxLr0CuNVvkR4l0+IvwGai7uoEAAAALgt0QYAgPcAvAMAALgB+BWnAIRPsxTjNGqeD+4MLL5ILpoqAAAAAElFTkSuQmCC'
