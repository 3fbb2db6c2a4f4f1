"""Picture work that needs no terminal: every module here is safe in a thread or a child process.

* :mod:`~animetui.pictures.sources` reads a source file with a size cap, refuses decompression
  bombs and prepares the bytes a service is sent (EXIF transpose, convert, downscale).
* :mod:`~animetui.pictures.offload` runs upload preparation off the event loop (a thread, or the
  TUI's niced child process) and gives child processes an environment without secrets.
* :mod:`~animetui.pictures.imaging` decodes, fits to cells, draws the detection boxes and crops a
  box, for the picture widget.
* :mod:`~animetui.pictures.process` is the picture process: ``imaging`` plus the Sixel/Kitty
  encoding, in a child, so Pillow never holds the GIL the event loop needs.
* :mod:`~animetui.pictures.previews` downloads preview images (a pasted URL, a scene match's frame)
  once into the cache.

Nothing here imports ``animetui.ui`` or Textual; the terminal side (which renderer the terminal
gets, the widgets that show a picture, the boxes' numbers) is :mod:`animetui.ui.pictures`.
Importing the package costs nothing: Pillow is imported by the functions that need it.
"""
