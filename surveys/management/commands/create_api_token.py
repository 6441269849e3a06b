from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from agencies.models import Role
from sipas.audit import record_audit

API_ROLES = (Role.STAFF, Role.OFFICER, Role.MANAGER)


class Command(BaseCommand):
    help = (
        "Print the API token of USERNAME, creating it if the user has none. The one-stop-shop software or a kiosk "
        "sends it as the header `Authorization: Token <key>`; the user's staff, manager or officer memberships "
        "decide which agencies it may create invitations and responses for."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="an existing, active user (e.g. the one-stop-shop account of an agency)")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user is named %(username)s: create the account first.") % {"username": username})
        if not user.is_active:
            raise CommandError(
                _("The account %(username)s is deactivated: its token would be refused.") % {"username": username}
            )
        with transaction.atomic():
            token, created = Token.objects.get_or_create(user=user)
            if created:
                record_audit(actor=None, action="api_token.created", target=user, username=username)
        if created:
            self.stderr.write(_("Created an API token for %(username)s.") % {"username": username})
        if not user.is_superuser and not user.memberships.filter(role__in=API_ROLES).exists():
            self.stderr.write(
                _("Warning: %(username)s is not staff, manager or officer of any agency: the token reaches no agency.")
                % {"username": username}
            )
        self.stdout.write(token.key)
