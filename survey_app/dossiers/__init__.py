from flask import Blueprint

bp = Blueprint("dossiers", __name__)
