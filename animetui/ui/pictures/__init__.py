"""Pictures on the terminal: the side of the picture code that knows Textual and textual-image.

* :mod:`~animetui.ui.pictures.terminal` asks the terminal what it can show (before Textual owns it)
  and picks the renderer (kitty, sixel, halfcell, unicode, none).
* :mod:`~animetui.ui.pictures.view` is ``ImageView``, the picture in a pane: it sends the work to
  :mod:`animetui.pictures.process` (or a thread) and shows only the newest result.
* :mod:`~animetui.ui.pictures.prepared` holds the Sixel/Kitty widgets that show a stream encoded off
  the event loop.
* :mod:`~animetui.ui.pictures.labels` puts the boxes' numbers as text over half-cell pictures.

The pixel work itself (decode, fit, boxes, uploads, the picture process) is :mod:`animetui.pictures`.
Nothing is imported here on purpose: ``view`` and ``prepared`` pull in Textual and textual-image.
"""
