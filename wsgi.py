from marketplace import create_app
from marketplace.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:  # one line naming the setting, not a traceback
    raise SystemExit(f"marketplace: {error}") from None
