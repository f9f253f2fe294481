"""`python -m training.synthetic`: write a synthetic dataset (`training.synthetic.photos` has the options)."""

from training.synthetic.photos import get_args_parser, main

main(get_args_parser().parse_args())
