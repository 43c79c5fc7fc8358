from cardprep.cli import app

app(prog_name="cardprep")
